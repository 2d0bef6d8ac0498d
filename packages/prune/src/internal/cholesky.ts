/**
 * Dense float64 Cholesky helpers for SparseGPT (brief §2). Row-major `n x n` matrices.
 * Plain loops: K is a layer's input width, a few thousand at most on the models this package targets.
 */

/** In-place lower Cholesky `A = L Lᵀ`; the strict upper triangle is zeroed. Returns false if A is not positive definite. */
export function choleskyLowerInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diagonal = a[rowJ + j];
    for (let k = 0; k < j; k++) diagonal -= a[rowJ + k] * a[rowJ + k];
    if (!(diagonal > 0) || !Number.isFinite(diagonal)) return false;
    const ljj = Math.sqrt(diagonal);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let sum = a[rowI + j];
      for (let k = 0; k < j; k++) sum -= a[rowI + k] * a[rowJ + k];
      a[rowI + j] = sum / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rowJ + k] = 0;
  }
  return true;
}

/**
 * Inverse of a lower-triangular matrix, row by row: row r of `L⁻¹` is `−(Σ_{k<r} L[r,k]·L⁻¹[k,:]) / L[r,r]` plus the
 * diagonal, accumulated as contiguous row updates (cache-friendly at any size).
 */
export function invertLowerTriangular(l: Float64Array, n: number): Float64Array {
  const inverse = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const rowR = r * n;
    for (let k = 0; k < r; k++) {
      const factor = l[rowR + k];
      if (factor === 0) continue;
      const rowK = k * n;
      for (let i = 0; i <= k; i++) inverse[rowR + i] += factor * inverse[rowK + i];
    }
    const diagonal = l[rowR + r];
    for (let i = 0; i < r; i++) inverse[rowR + i] = -inverse[rowR + i] / diagonal;
    inverse[rowR + r] = 1 / diagonal;
  }
  return inverse;
}

/**
 * `U`, the upper Cholesky factor of `A⁻¹` (`A⁻¹ = Uᵀ U`, positive diagonal), the factor SparseGPT gets from
 * `chol(A) -> cholesky_inverse -> chol(·, upper=True)`, computed with one factorization: with J the order reversal,
 * `J A J = M Mᵀ` (M lower) gives `A = R Rᵀ` with `R = J M J` upper, so `A⁻¹ = (R⁻¹)ᵀ R⁻¹` and `U = R⁻¹ = J M⁻¹ J`
 * (unique, so it equals torch's). Returns undefined when A is not positive definite.
 */
export function upperCholeskyOfInverse(a: Float64Array, n: number): Float64Array | undefined {
  const reversed = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const from = (n - 1 - i) * n;
    for (let j = 0; j < n; j++) reversed[i * n + j] = a[from + (n - 1 - j)];
  }
  if (!choleskyLowerInPlace(reversed, n)) return undefined;
  const mInverse = invertLowerTriangular(reversed, n);
  const upper = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const from = (n - 1 - i) * n;
    for (let j = i; j < n; j++) upper[i * n + j] = mInverse[from + (n - 1 - j)];
  }
  return upper;
}
