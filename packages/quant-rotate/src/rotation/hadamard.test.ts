import { describe, expect, it } from 'vitest';
import { isQuantError } from '../errors';
import {
  caught,
  maxAbsDiff,
  naiveMatmul,
  naiveTranspose,
  orthogonalityError,
  randomMatrix,
} from '../internal/test-helpers';
import { applyHadamard } from './apply-hadamard';
import { createHadamard } from './hadamard';
import { factorHadamard, listHadamardOrders } from './hadamard-factors';
import { createRandomHadamard } from './random-hadamard';
import { createRandomOrthogonal } from './random-orthogonal';

// Sizes of the kind real models have (brief §7.3): powers of two and K·2^m for every supported K.
const sizes = [1, 2, 8, 64, 12 * 4, 20 * 2, 28, 36 * 2, 40, 44, 52, 60, 76, 108, 140, 156, 172];

describe('createHadamard', () => {
  it.each(sizes)('H_%i is orthogonal with entries ±1/sqrt(n)', (n) => {
    const h = createHadamard(n);
    expect(orthogonalityError(h)).toBeLessThan(1e-12);
    let worst = 0;
    for (const v of h.data) worst = Math.max(worst, Math.abs(Math.abs(v) * Math.sqrt(n) - 1));
    expect(worst).toBeLessThan(1e-12);
  });

  it('is the Kronecker product H_K ⊗ H_{2^m} with H_K outer (index i = k·2^m + j)', () => {
    const n = 12 * 8;
    const { k, powerOfTwo, outer, inner } = factorHadamard(n);
    expect([k, powerOfTwo]).toEqual([12, 8]);
    const h = createHadamard(n).data;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const expected = outer[Math.floor(i / 8) * k + Math.floor(j / 8)] * inner[(i % 8) * 8 + (j % 8)];
        expect(h[i * n + j]).toBe(expected);
      }
    }
    // Sylvester factor: H[i][j] = (-1)^popcount(i & j) / sqrt(8)
    expect(inner[3 * 8 + 5] * Math.sqrt(8)).toBeCloseTo(-1, 12); // 3 & 5 = 1: odd
    expect(inner[3 * 8 + 3] * Math.sqrt(8)).toBeCloseTo(1, 12); // 3 & 3 = 3: even
  });

  it('rejects sizes with no Hadamard matrix with QUANT_UNSUPPORTED_HADAMARD_SIZE', () => {
    for (const n of [0, 3, 100, 896 * 3, 13696]) {
      const error = caught(() => createHadamard(n));
      expect(isQuantError(error) && error.code).toBe('QUANT_UNSUPPORTED_HADAMARD_SIZE');
    }
    expect(listHadamardOrders()).toContain(172);
  });
});

describe('applyHadamard', () => {
  it.each([64, 12 * 16, 172 * 2])('equals the dense H_n product on every row (n = %i)', (n) => {
    const x = randomMatrix(5, n, n);
    const dense = createHadamard(n).data;
    const expected = naiveMatmul(x.data, naiveTranspose(dense, n, n), 5, n, n); // rows H x_t
    expect(maxAbsDiff(applyHadamard(x).data, expected)).toBeLessThan(1e-12);
  });

  it('is inverted by Hᵀ and keeps the array kind', () => {
    const n = 20 * 4;
    const x = randomMatrix(3, n, 1);
    const y = applyHadamard({ rows: 3, cols: n, data: Float32Array.from(x.data) });
    expect(y.data).toBeInstanceOf(Float32Array);
    const back = naiveMatmul(applyHadamard(x).data, createHadamard(n).data, 3, n, n); // (H x)ᵀ H = xᵀ
    expect(maxAbsDiff(back, x.data)).toBeLessThan(1e-12);
  });
});

describe('random rotations', () => {
  it('createRandomHadamard is diag(s) H_nᵀ, orthogonal and seeded', () => {
    const n = 28 * 2;
    const a = createRandomHadamard(n, { seed: 3 });
    const b = createRandomHadamard(n, { seed: 3 });
    const c = createRandomHadamard(n, { seed: 4 });
    expect(orthogonalityError(a.matrix)).toBeLessThan(1e-12);
    expect(a.matrix.data).toEqual(b.matrix.data);
    expect(a.signs).not.toEqual(c.signs);
    const h = createHadamard(n).data;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) expect(a.matrix.data[i * n + j]).toBe(a.signs[i] * h[j * n + i]);
    expect(a.seed).toBe(3);
  });

  it('createRandomOrthogonal is orthogonal, seeded, and works for sizes without a Hadamard matrix', () => {
    const a = createRandomOrthogonal(30, { seed: 1 });
    expect(orthogonalityError(a)).toBeLessThan(1e-12);
    expect(createRandomOrthogonal(30, { seed: 1 }).data).toEqual(a.data);
    expect(createRandomOrthogonal(30, { seed: 2 }).data).not.toEqual(a.data);
  });

  it('createRandomOrthogonal looks Haar: the mean of Q[0,0]² over draws is 1/n', () => {
    const n = 6;
    let s = 0;
    const draws = 400;
    for (let seed = 0; seed < draws; seed++) s += createRandomOrthogonal(n, { seed }).data[0] ** 2;
    expect(s / draws).toBeGreaterThan(1 / n - 0.04);
    expect(s / draws).toBeLessThan(1 / n + 0.04);
  });
});
