import { describe, expect, it } from 'vitest';
import { isQuantError } from '../errors';
import { caught, randomMatrix } from '../internal/test-helpers';
import { fakeQuantizeActivations } from './fake-quantize-activations';
import { fakeQuantizeKv } from './fake-quantize-kv';

/** Plain twin of QuaRot's ActQuantizer on one group (signed symmetric / unsigned asymmetric form). */
function reference(values: number[], bits: number, symmetric: boolean, clip: number): number[] {
  const rne = (v: number) => {
    const f = Math.floor(v);
    return v - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(v);
  };
  const xmax = Math.max(0, ...values) * clip;
  const xmin = Math.min(0, ...values) * clip;
  if (symmetric) {
    const maxq = 2 ** (bits - 1) - 1;
    const s = Math.max(-xmin, xmax) === 0 ? 1 : Math.max(-xmin, xmax) / maxq;
    return values.map((v) => s * Math.max(-maxq - 1, Math.min(maxq, rne(v / s))));
  }
  const maxq = 2 ** bits - 1;
  const [lo, hi] = xmin === 0 && xmax === 0 ? [-1, 1] : [xmin, xmax];
  const s = (hi - lo) / maxq;
  const z = rne(-lo / s);
  return values.map((v) => s * (Math.max(0, Math.min(maxq, rne(v / s) + z)) - z));
}

describe('fakeQuantizeActivations', () => {
  it('hand-checked int8 symmetric token: s = max|x|/127', () => {
    const x = { rows: 1, cols: 3, data: Float64Array.of(1.27, -0.635, 0.0049) };
    const y = fakeQuantizeActivations(x, { bits: 8, symmetric: true, clipRatio: 1 }).data;
    expect(y[0]).toBeCloseTo(1.27, 12);
    expect(y[1]).toBeCloseTo(-0.64, 12); // -63.5 -> -64 (half to even)
    expect(y[2]).toBe(0); // 0.49 -> 0
  });

  it.each([
    [4, false, 0, 0.9],
    [8, true, 0, 1],
    [4, true, 8, 0.95],
    [3, false, 16, 1],
  ])(
    'matches the plain twin per token/group (bits %i, sym %s, group %i, clip %f)',
    (bits, symmetric, groupSize, clip) => {
      const x = randomMatrix(7, 32, bits + groupSize);
      x.data[3] = 9; // outlier channel
      const y = fakeQuantizeActivations(x, { bits, symmetric, groupSize, clipRatio: clip }).data;
      const g = groupSize === 0 ? 32 : groupSize;
      for (let start = 0; start < x.data.length; start += g) {
        const expected = reference(Array.from(x.data.subarray(start, start + g)), bits, symmetric, clip);
        expected.forEach((v, i) => {
          expect(y[start + i]).toBeCloseTo(v, 12);
        });
      }
    },
  );

  it('is idempotent at clip 1 and maps an all-zero token to zeros', () => {
    const x = randomMatrix(4, 16, 5);
    const once = fakeQuantizeActivations(x, { bits: 4, clipRatio: 1 });
    const twice = fakeQuantizeActivations(once, { bits: 4, clipRatio: 1 });
    once.data.forEach((v, i) => {
      expect(twice.data[i]).toBeCloseTo(v, 12);
    });
    const zeros = fakeQuantizeActivations({ rows: 1, cols: 4, data: new Float32Array(4) });
    expect(Array.from(zeros.data)).toEqual([0, 0, 0, 0]);
    expect(zeros.data).toBeInstanceOf(Float32Array);
  });

  it('rejects bad bits, groups and clip ratios', () => {
    const x = randomMatrix(2, 12, 1);
    const bits = caught(() => fakeQuantizeActivations(x, { bits: 1 }));
    expect(isQuantError(bits) && bits.code).toBe('QUANT_UNSUPPORTED_BITS');
    const group = caught(() => fakeQuantizeActivations(x, { groupSize: 5 }));
    expect(isQuantError(group) && group.code).toBe('QUANT_INVALID_GROUP_SIZE');
    const clip = caught(() => fakeQuantizeActivations(x, { clipRatio: 0 }));
    expect(isQuantError(clip) && clip.code).toBe('QUANT_INVALID_OPTION');
  });
});

describe('fakeQuantizeKv', () => {
  it('quantizes each (token, head) on its own grid: 4-bit asymmetric, clip 0.95 by default', () => {
    const x = randomMatrix(3, 4 * 8, 2);
    for (let h = 0; h < 4; h++) x.data[h * 8] *= 1 + 10 * h; // very different head ranges
    const y = fakeQuantizeKv(x, { headDim: 8 }).data;
    for (let start = 0; start < x.data.length; start += 8) {
      const expected = reference(Array.from(x.data.subarray(start, start + 8)), 4, false, 0.95);
      expected.forEach((v, i) => {
        expect(y[start + i]).toBeCloseTo(v, 12);
      });
    }
  });

  it('requires a headDim dividing the row', () => {
    const x = randomMatrix(1, 12, 1);
    const missing = caught(() => fakeQuantizeKv(x, { headDim: 0 }));
    expect(isQuantError(missing) && missing.code).toBe('QUANT_INVALID_OPTION');
    const uneven = caught(() => fakeQuantizeKv(x, { headDim: 5 }));
    expect(isQuantError(uneven) && uneven.code).toBe('QUANT_INVALID_GROUP_SIZE');
  });
});
