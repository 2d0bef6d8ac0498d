import { describe, expect, it } from 'vitest';
import {
  maxAbsDiff,
  naiveMatmul,
  naiveTranspose,
  orthogonalityError,
  randomMatrix,
} from '../internal/test-helpers';
import { cholesky, inverseUpperCholesky } from './cholesky';
import { householderQr } from './householder-qr';

describe('householderQr', () => {
  it('factors A = Q R with Q orthogonal, R upper triangular, diag(R) > 0', () => {
    const n = 9;
    const a = randomMatrix(n, n, 5);
    const { q, r } = householderQr(a);
    expect(orthogonalityError(q)).toBeLessThan(1e-13);
    for (let i = 0; i < n; i++) {
      expect(r.data[i * n + i]).toBeGreaterThan(0);
      for (let j = 0; j < i; j++) expect(r.data[i * n + j]).toBe(0);
    }
    expect(maxAbsDiff(naiveMatmul(q.data, r.data, n, n, n), a.data)).toBeLessThan(1e-12);
  });

  it('returns Q = A and R = I for an orthogonal A (so Z0 = R0 starts QR-Orth at R0)', () => {
    const q0 = householderQr(randomMatrix(7, 7, 2)).q;
    const { q, r } = householderQr(q0);
    expect(maxAbsDiff(q.data, q0.data)).toBeLessThan(1e-13);
    expect(orthogonalityError(r)).toBeLessThan(1e-13);
  });
});

describe('cholesky helpers', () => {
  it('L Lᵀ = A, and Uᵀ U = A⁻¹ for the GPTQ factor', () => {
    const n = 8;
    const x = randomMatrix(20, n, 9);
    const a = naiveMatmul(naiveTranspose(x.data, 20, n), x.data, n, 20, n);
    const l = cholesky(a, n);
    expect(maxAbsDiff(naiveMatmul(l, naiveTranspose(l, n, n), n, n, n), a)).toBeLessThan(1e-10);
    const u = inverseUpperCholesky(a, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(u[i * n + j]).toBe(0);
    const inv = naiveMatmul(naiveTranspose(u, n, n), u, n, n, n);
    const eye = naiveMatmul(inv, a, n, n, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) expect(eye[i * n + j]).toBeCloseTo(i === j ? 1 : 0, 9);
  });
});
