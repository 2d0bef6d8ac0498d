/**
 * Blocked float64/fp32 Cholesky factorization and lower-triangular inverse for SparseGPT's `U = chol(H⁻¹)ᵀ`
 * (brief prune-quant.md §2), row-major `n × n`. The O(n³) parts run as fp32 WASM GEMMs (@x/kernels-wasm), as the
 * official code factors in fp32 on the GPU; the diagonal blocks (and their inverses) and the storage stay float64.
 * The plain-loop twin is `src/internal/cholesky.ts` (tests compare the two).
 */
import { type Kernels, packF32Gemm } from '@x/kernels-wasm';
import { GemmWorkspace } from './gemm-workspace';

export interface BlockedLinalgOptions {
  /** Width of the diagonal blocks (the GEMMs' inner dimension). @defaultValue 128 */
  blockSize?: number;
  /** Columns (Cholesky) or rows (inverse) per GEMM call, bounding the product buffer. @defaultValue 512 */
  chunk?: number;
}

/** Unblocked lower Cholesky of the diagonal block `a[j0:j1, j0:j1]` (its trailing updates already applied). */
function factorDiagonalBlock(a: Float64Array, n: number, j0: number, j1: number): boolean {
  for (let j = j0; j < j1; j++) {
    const rowJ = j * n;
    let diagonal = a[rowJ + j];
    for (let q = j0; q < j; q++) diagonal -= a[rowJ + q] * a[rowJ + q];
    if (!(diagonal > 0) || !Number.isFinite(diagonal)) return false;
    const ljj = Math.sqrt(diagonal);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < j1; i++) {
      const rowI = i * n;
      let sum = a[rowI + j];
      for (let q = j0; q < j; q++) sum -= a[rowI + q] * a[rowJ + q];
      a[rowI + j] = sum / ljj;
    }
  }
  return true;
}

/** `L[j0:j1, j0:j1]⁻¹` of a factored diagonal block, float64, row-major width × width (forward substitution). */
function invertDiagonalBlock(l: Float64Array, n: number, j0: number, j1: number): Float64Array {
  const width = j1 - j0;
  const inverse = new Float64Array(width * width);
  for (let r = 0; r < width; r++) {
    const rowR = (j0 + r) * n + j0;
    for (let q = 0; q < r; q++) {
      const factor = l[rowR + q];
      if (factor === 0) continue;
      for (let c = 0; c <= q; c++) inverse[r * width + c] += factor * inverse[q * width + c];
    }
    const diagonal = l[rowR + r];
    for (let c = 0; c < r; c++) inverse[r * width + c] = -inverse[r * width + c] / diagonal;
    inverse[r * width + r] = 1 / diagonal;
  }
  return inverse;
}

/**
 * In-place lower Cholesky `A = L Lᵀ` (right-looking, blocked): per block of columns, factor the diagonal block in
 * float64, then the panel below it `P = A[j1:, j0:j1] · L_jj⁻ᵀ` and `A[j1:, j1:] −= P Pᵀ` (lower triangle, by column
 * chunks) as fp32 GEMMs.
 * The strict upper triangle is zeroed. Returns false if A is not positive definite.
 */
export function choleskyLowerBlocked(
  a: Float64Array,
  n: number,
  kernels: Kernels,
  options: BlockedLinalgOptions = {},
): boolean {
  const blockSize = options.blockSize ?? 128;
  const chunk = options.chunk ?? 512;
  const workspace = new GemmWorkspace(kernels);
  try {
    for (let j0 = 0; j0 < n; j0 += blockSize) {
      const j1 = Math.min(j0 + blockSize, n);
      const width = j1 - j0;
      if (!factorDiagonalBlock(a, n, j0, j1)) return false;
      if (j1 === n) break;
      // Panel: L[j1:, j0:j1] = A[j1:, j0:j1] · L_jj⁻ᵀ (fp32 GEMM on the float64 inverse of the diagonal block).
      const diagonalInverse = packF32Gemm(kernels, new Float32Array(invertDiagonalBlock(a, n, j0, j1)), {
        k: width,
        n: width,
        transposed: true,
      });
      let panel: Float32Array;
      try {
        panel = workspace
          .multiply(
            n - j1,
            (left) => {
              for (let i = j1; i < n; i++) {
                const from = i * n + j0;
                const to = (i - j1) * width;
                for (let c = 0; c < width; c++) left[to + c] = a[from + c];
              }
            },
            diagonalInverse,
          )
          .slice();
      } finally {
        diagonalInverse.dispose();
      }
      for (let i = j1; i < n; i++) {
        const to = i * n + j0;
        const from = (i - j1) * width;
        for (let c = 0; c < width; c++) a[to + c] = panel[from + c];
      }
      // A[c0:, c0:c1] −= P[c0:, :] · P[c0:c1, :]ᵀ: the lower triangle of the trailing matrix, chunk by chunk (the
      // upper part of each chunk's square is written too and zeroed at the end).
      for (let c0 = j1; c0 < n; c0 += chunk) {
        const c1 = Math.min(c0 + chunk, n);
        const right = packF32Gemm(kernels, panel.subarray((c0 - j1) * width, (c1 - j1) * width), {
          k: width,
          n: c1 - c0,
          transposed: true,
        });
        try {
          workspace.subtractProduct(
            { target: a, offset: c0 * n + c0, stride: n },
            n - c0,
            (left) => left.set(panel.subarray((c0 - j1) * width)),
            right,
          );
        } finally {
          right.dispose();
        }
      }
    }
  } finally {
    workspace.dispose();
  }
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  return true;
}

/**
 * Inverse of a lower-triangular L (blocked forward substitution on the identity, right-looking): block row i of
 * `X = L⁻¹` is `L_ii⁻¹ · (I − Σ_{q<i} L_iq X_q)` (its diagonal block `L_ii⁻¹` in float64, the rest an fp32 GEMM),
 * and its contribution to every later block row, `X[i1:, :i1] −= L[i1:, i0:i1] · X[i0:i1, :i1]`, fp32 GEMMs in row
 * chunks.
 */
export function invertLowerTriangularBlocked(
  l: Float64Array,
  n: number,
  kernels: Kernels,
  options: BlockedLinalgOptions = {},
): Float64Array {
  const blockSize = options.blockSize ?? 128;
  const chunk = options.chunk ?? 512;
  const x = new Float64Array(n * n);
  for (let i = 0; i < n; i++) x[i * n + i] = 1;
  const workspace = new GemmWorkspace(kernels);
  try {
    for (let i0 = 0; i0 < n; i0 += blockSize) {
      const i1 = Math.min(i0 + blockSize, n);
      const width = i1 - i0;
      // X[i0:i1, :i1] = L_ii⁻¹ · RHS[i0:i1, :i1]; RHS is the identity on the diagonal block, so X_ii = L_ii⁻¹ (float64).
      const diagonalInverse = invertDiagonalBlock(l, n, i0, i1);
      const block = new Float32Array(width * i1);
      if (i0 > 0) {
        const rhs = new Float32Array(width * i0);
        for (let r = 0; r < width; r++) {
          const from = (i0 + r) * n;
          for (let c = 0; c < i0; c++) rhs[r * i0 + c] = x[from + c];
        }
        const right = packF32Gemm(kernels, rhs, { k: width, n: i0 });
        try {
          const product = workspace.multiply(width, (left) => left.set(diagonalInverse), right);
          for (let r = 0; r < width; r++) block.set(product.subarray(r * i0, (r + 1) * i0), r * i1);
        } finally {
          right.dispose();
        }
      }
      for (let r = 0; r < width; r++) {
        for (let c = 0; c < width; c++) block[r * i1 + i0 + c] = diagonalInverse[r * width + c];
        const to = (i0 + r) * n;
        for (let c = 0; c < i0; c++) x[to + c] = block[r * i1 + c];
        for (let c = i0; c < i1; c++) x[to + c] = diagonalInverse[r * width + c - i0];
      }
      if (i1 === n) break;
      const right = packF32Gemm(kernels, block, { k: width, n: i1 });
      try {
        for (let r0 = i1; r0 < n; r0 += chunk) {
          const r1 = Math.min(r0 + chunk, n);
          workspace.subtractProduct(
            { target: x, offset: r0 * n, stride: n },
            r1 - r0,
            (left) => {
              for (let r = r0; r < r1; r++) {
                const from = r * n + i0;
                const to = (r - r0) * width;
                for (let c = 0; c < width; c++) left[to + c] = l[from + c];
              }
            },
            right,
          );
        }
      } finally {
        right.dispose();
      }
    }
  } finally {
    workspace.dispose();
  }
  return x;
}

/**
 * `U`, the upper Cholesky factor of `A⁻¹` (`A⁻¹ = Uᵀ U`), as `src/internal/cholesky.ts` computes it (order reversal
 * J: `J A J = M Mᵀ`, `U = J M⁻¹ J`), with the blocked factorization and inverse. `a` is not modified.
 * Returns undefined when A is not positive definite.
 */
export function upperCholeskyOfInverseBlocked(
  a: Float64Array,
  n: number,
  kernels: Kernels,
  options: BlockedLinalgOptions = {},
): Float64Array | undefined {
  const reversed = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const from = (n - 1 - i) * n;
    for (let j = 0; j <= i; j++) reversed[i * n + j] = a[from + (n - 1 - j)];
  }
  if (!choleskyLowerBlocked(reversed, n, kernels, options)) return undefined;
  const upper = invertLowerTriangularBlocked(reversed, n, kernels, options);
  // U = J X J in place: swap (i, j) with (n−1−i, n−1−j); X is lower, so U is upper.
  const last = n * n - 1;
  for (let p = 0; p < last - p; p++) {
    const value = upper[p];
    upper[p] = upper[last - p];
    upper[last - p] = value;
  }
  return upper;
}
