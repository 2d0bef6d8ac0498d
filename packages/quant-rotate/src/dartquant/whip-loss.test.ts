import { describe, expect, it } from 'vitest';
import { isQuantError } from '../errors';
import { caught, randomMatrix } from '../internal/test-helpers';
import { createRandomOrthogonal } from '../rotation/random-orthogonal';
import { evaluateWhip, whipLoss } from './whip-loss';

describe('Whip loss', () => {
  it('is mean_t Σ_i exp(−|(xR)_ti|) (hand-checked, identity rotation)', () => {
    const x = { rows: 2, cols: 2, data: Float64Array.of(0, 1, -2, 0.5) };
    const eye = { rows: 2, cols: 2, data: Float64Array.of(1, 0, 0, 1) };
    const expected = (1 + Math.exp(-1) + Math.exp(-2) + Math.exp(-0.5)) / 2;
    expect(whipLoss(x, eye)).toBeCloseTo(expected, 14);
  });

  it('has ∂L/∂R = Xᵀ ∂L/∂Y matching finite differences, per KV-head rotation (GQA)', () => {
    const hd = 4;
    const x = randomMatrix(30, 4 * hd, 3); // 4 query heads, 2 KV heads
    const rotations = [createRandomOrthogonal(hd, { seed: 1 }), createRandomOrthogonal(hd, { seed: 2 })];
    const { gradients, loss } = evaluateWhip([x], rotations, true);
    expect(loss).toBeGreaterThan(0);
    const h = 1e-6;
    for (let g = 0; g < 2; g++) {
      for (let i = 0; i < hd * hd; i++) {
        const shifted = (delta: number) =>
          rotations.map((r, j) => {
            const d = Float64Array.from(r.data);
            if (j === g) d[i] += delta;
            return { rows: hd, cols: hd, data: d };
          });
        const numeric =
          (evaluateWhip([x], shifted(h), false).loss - evaluateWhip([x], shifted(-h), false).loss) / (2 * h);
        expect(gradients![g][i]).toBeCloseTo(numeric, 7);
      }
    }
  });

  it('is invariant to column sign flips of R (why the QR sign fix is only for determinism)', () => {
    const x = randomMatrix(10, 5, 4);
    const r = createRandomOrthogonal(5, { seed: 4 });
    const flipped = Float64Array.from(r.data);
    for (let i = 0; i < 5; i++) flipped[i * 5 + 2] = -flipped[i * 5 + 2];
    expect(whipLoss(x, { rows: 5, cols: 5, data: flipped })).toBeCloseTo(whipLoss(x, r), 14);
  });

  it('rejects rotations that do not tile the channels', () => {
    const error = caught(() => evaluateWhip([randomMatrix(2, 10, 1)], [createRandomOrthogonal(4)], false));
    expect(isQuantError(error) && error.code).toBe('QUANT_SHAPE_MISMATCH');
  });
});
