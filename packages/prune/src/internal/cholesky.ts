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

/** Inverse of a lower-triangular matrix (forward substitution, column by column). */
export function invertLowerTriangular(l: Float64Array, n: number): Float64Array {
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    inverse[i * n + i] = 1 / l[i * n + i];
    for (let r = i + 1; r < n; r++) {
      let sum = 0;
      for (let k = i; k < r; k++) sum += l[r * n + k] * inverse[k * n + i];
      inverse[r * n + i] = -sum / l[r * n + r];
    }
  }
  return inverse;
}

/**
 * `U`, the upper Cholesky factor of `A⁻¹` (`A⁻¹ = Uᵀ U`), as SparseGPT computes it:
 * `chol(A) -> cholesky_inverse -> chol(·, upper=True)`. Returns undefined when a factorization fails.
 * The upper factor of a symmetric positive definite matrix is the transpose of its lower factor.
 */
export function upperCholeskyOfInverse(a: Float64Array, n: number): Float64Array | undefined {
  const l = Float64Array.from(a);
  if (!choleskyLowerInPlace(l, n)) return undefined;
  const lInverse = invertLowerTriangular(l, n);
  // A⁻¹ = L⁻ᵀ L⁻¹: entry (i, j) = Σ_k lInv[k, i] · lInv[k, j], k >= max(i, j).
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let sum = 0;
      for (let k = j; k < n; k++) sum += lInverse[k * n + i] * lInverse[k * n + j];
      inverse[i * n + j] = sum;
      inverse[j * n + i] = sum;
    }
  }
  if (!choleskyLowerInPlace(inverse, n)) return undefined;
  const upper = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) upper[i * n + j] = inverse[j * n + i];
  return upper;
}
