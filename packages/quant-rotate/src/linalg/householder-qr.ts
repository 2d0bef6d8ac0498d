/**
 * QR decomposition of a square matrix by Householder reflections, normalised so that diag(R) >= 0.
 *
 * With that sign convention the factorisation of a full-rank matrix is unique and smooth in its
 * input, which the QR-Orth backward (DartQuant, arXiv 2511.04063 §4.3; brief §8.4) relies on, and it
 * makes `Q` of a Gaussian matrix Haar-distributed (Mezzadri 2007, "How to generate random matrices
 * from the classical compact groups", §5).
 */
import { QuantError } from '../errors';
import { assertSquare } from '../internal/validate';
import type { Matrix } from '../types';

export interface QrResult {
  /** Orthogonal factor, n x n. */
  q: Matrix<Float64Array>;
  /** Upper-triangular factor with non-negative diagonal, n x n. */
  r: Matrix<Float64Array>;
}

/** `A = Q R` with Q orthogonal and R upper triangular, diag(R) >= 0 (fp64). */
export function householderQr(matrix: Matrix): QrResult {
  assertSquare(matrix, 'matrix');
  const n = matrix.rows;
  const a = Float64Array.from(matrix.data);
  const reflectors: Float64Array[] = [];
  const column = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // v = x - alpha e1 with alpha = -sign(x0) ||x||, normalised; H = I - 2 v vᵀ.
    let norm = 0;
    for (let i = k; i < n; i++) norm += a[i * n + k] * a[i * n + k];
    norm = Math.sqrt(norm);
    const v = new Float64Array(n - k);
    if (norm === 0) {
      reflectors.push(v);
      continue;
    }
    const x0 = a[k * n + k];
    const alpha = x0 >= 0 ? -norm : norm;
    for (let i = k; i < n; i++) v[i - k] = a[i * n + k];
    v[0] -= alpha;
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += v[i] * v[i];
    vnorm = Math.sqrt(vnorm);
    for (let i = 0; i < v.length; i++) v[i] /= vnorm;
    reflectors.push(v);
    // A[k:, k:] -= 2 v (vᵀ A[k:, k:])
    column.fill(0, 0, n);
    for (let i = k; i < n; i++) {
      const vi = v[i - k];
      if (vi === 0) continue;
      const row = i * n;
      for (let j = k; j < n; j++) column[j] += vi * a[row + j];
    }
    for (let i = k; i < n; i++) {
      const vi = 2 * v[i - k];
      if (vi === 0) continue;
      const row = i * n;
      for (let j = k; j < n; j++) a[row + j] -= vi * column[j];
    }
  }
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) r[i * n + j] = a[i * n + j];
  // Q = H_0 H_1 ... H_{n-1}: apply the reflectors to I from the last one back. H_k ⋯ H_{n−1} is the
  // identity outside its trailing block [k:, k:], so columns < k are skipped (exact zeros; half the work).
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = reflectors[k];
    column.fill(0, 0, n);
    for (let i = k; i < n; i++) {
      const vi = v[i - k];
      if (vi === 0) continue;
      const row = i * n;
      for (let j = k; j < n; j++) column[j] += vi * q[row + j];
    }
    for (let i = k; i < n; i++) {
      const vi = 2 * v[i - k];
      if (vi === 0) continue;
      const row = i * n;
      for (let j = k; j < n; j++) q[row + j] -= vi * column[j];
    }
  }
  // Sign fix: Q ← Q D, R ← D R with D = diag(sign(diag R)).
  for (let j = 0; j < n; j++) {
    if (r[j * n + j] < 0) {
      for (let i = 0; i < n; i++) q[i * n + j] = -q[i * n + j];
      for (let c = j; c < n; c++) r[j * n + c] = -r[j * n + c];
    }
  }
  return { q: { rows: n, cols: n, data: q }, r: { rows: n, cols: n, data: r } };
}

/** Throws `QUANT_SINGULAR_MATRIX` if R has a (numerically) zero diagonal entry. */
export function assertFullRank(r: Matrix<Float64Array>, argument: string): void {
  const n = r.rows;
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(r.data[i * n + i]));
  for (let i = 0; i < n; i++) {
    if (!(Math.abs(r.data[i * n + i]) > max * 1e-13)) {
      throw new QuantError('QUANT_SINGULAR_MATRIX', `${argument}: matrix is singular (R[${i},${i}] ~ 0)`, {
        details: { argument, index: i },
      });
    }
  }
}
