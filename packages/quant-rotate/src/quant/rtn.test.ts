import { describe, expect, it } from 'vitest';
import { isQuantError } from '../errors';
import { caught, randomMatrix } from '../internal/test-helpers';
import { dequantizeWeight } from './dequantize-weight';
import { quantizeRtn } from './rtn';

/**
 * A separately written twin of QuaRot's `WeightQuantizer` in its signed form (`sym_quant`/`asym_quant`,
 * `fake_quant/quant_utils.py`), returning the dequantized values only.
 */
function referenceQuantize(values: number[], bits: number, symmetric: boolean, clip: number): number[] {
  const roundEven = (v: number) => {
    const f = Math.floor(v);
    const d = v - f;
    if (d < 0.5) return f;
    if (d > 0.5) return f + 1;
    return f % 2 === 0 ? f : f + 1;
  };
  const xmin = Math.min(0, ...values) * clip;
  const xmax = Math.max(0, ...values) * clip;
  if (symmetric) {
    const maxq = 2 ** (bits - 1) - 1;
    const m = Math.max(Math.abs(xmin), xmax);
    const scale = m === 0 ? 1 : Math.fround(m / maxq);
    return values.map((v) =>
      Math.fround(scale * Math.min(maxq, Math.max(-(maxq + 1), roundEven(v / scale)))),
    );
  }
  const maxq = 2 ** bits - 1;
  const [lo, hi] = xmin === 0 && xmax === 0 ? [-1, 1] : [xmin, xmax];
  const scale = Math.fround((hi - lo) / maxq);
  const zero = roundEven(-lo / scale);
  return values.map((v) =>
    Math.fround(scale * (Math.min(maxq, Math.max(0, roundEven(v / scale) + zero)) - zero)),
  );
}

describe('quantizeRtn', () => {
  it('hand-checked 4-bit symmetric row: scale max|x|/7, codes v + 8', () => {
    const w = { rows: 1, cols: 4, data: Float64Array.of(-3.5, 1.75, 0.25, 0.875) };
    const { quantized } = quantizeRtn(w, { bits: 4 });
    expect(quantized.scales[0]).toBe(0.5);
    expect(quantized.zeroPoints[0]).toBe(8);
    // -3.5/0.5 = -7, 1.75/0.5 = 3.5 -> 4 (half to even), 0.25/0.5 = 0.5 -> 0, 0.875/0.5 = 1.75 -> 2
    expect(Array.from(quantized.codes)).toEqual([1, 12, 8, 10]);
  });

  it.each([
    [4, true, 0, 1],
    [4, false, 0, 1],
    [3, true, 8, 0.9],
    [8, false, 16, 1],
    [2, false, 4, 0.8],
  ])(
    'matches the plain reference (bits %i, symmetric %s, group %i, clip %f)',
    (bits, symmetric, groupSize, clip) => {
      const w = randomMatrix(6, 32, bits * 10 + groupSize);
      const { quantized, options } = quantizeRtn(w, { bits, symmetric, groupSize, clip });
      expect(options).toEqual({ bits, symmetric, groupSize, clip });
      const got = dequantizeWeight(quantized).data;
      const g = groupSize === 0 ? 32 : groupSize;
      for (let r = 0; r < 6; r++) {
        for (let start = 0; start < 32; start += g) {
          const values = Array.from(w.data.subarray(r * 32 + start, r * 32 + start + g));
          expect(Array.from(got.subarray(r * 32 + start, r * 32 + start + g))).toEqual(
            referenceQuantize(values, bits, symmetric, clip),
          );
        }
      }
    },
  );

  it('gives an all-zero row scale 1 and exact zeros', () => {
    const { quantized } = quantizeRtn({ rows: 1, cols: 4, data: new Float32Array(4) }, { symmetric: false });
    expect(Array.from(dequantizeWeight(quantized).data)).toEqual([0, 0, 0, 0]);
  });

  it("clip 'mse' never has a larger Σ|err|^2.4 than no clipping and shrinks the range on outliers", () => {
    const w = randomMatrix(4, 64, 3);
    w.data[5] = 12; // an outlier in row 0
    const errorOf = (clip: number | 'mse') => {
      const deq = dequantizeWeight(quantizeRtn(w, { bits: 3, clip }).quantized).data;
      let e = 0;
      for (let i = 0; i < deq.length; i++) e += Math.abs(deq[i] - w.data[i]) ** 2.4;
      return e;
    };
    expect(errorOf('mse')).toBeLessThan(errorOf(1));
  });

  it('rejects unsupported bits and group sizes with typed errors', () => {
    const w = randomMatrix(2, 48, 1);
    const bits = caught(() => quantizeRtn(w, { bits: 9 }));
    expect(isQuantError(bits) && bits.code).toBe('QUANT_UNSUPPORTED_BITS');
    const group = caught(() => quantizeRtn(w, { groupSize: 32 }));
    expect(isQuantError(group) && group.code).toBe('QUANT_INVALID_GROUP_SIZE');
    const clip = caught(() => quantizeRtn(w, { clip: 1.5 }));
    expect(isQuantError(clip) && clip.code).toBe('QUANT_INVALID_OPTION');
    const shape = caught(() => quantizeRtn({ rows: 2, cols: 3, data: new Float32Array(5) }));
    expect(isQuantError(shape) && shape.code).toBe('QUANT_SHAPE_MISMATCH');
  });
});
