/**
 * Cholesky factorisation and the inverse-Hessian factor GPTQ needs (Frantar et al., "GPTQ",
 * arXiv 2210.17323 §4 step 3: "Cholesky reformulation" — the rows of the upper Cholesky factor of
 * H⁻¹ hold exactly the quantities the sequential OBS updates use).
 */
import { QuantError } from '../errors';

/** Lower-triangular L with A = L Lᵀ (A n x n symmetric positive definite, fp64). */
export function cholesky(a: Float64Array, n: number, argument = 'matrix'): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    const lj = j * n;
    for (let p = 0; p < j; p++) d -= l[lj + p] * l[lj + p];
    if (!(d > 0)) {
      throw new QuantError(
        'QUANT_NOT_POSITIVE_DEFINITE',
        `${argument} is not positive definite (pivot ${j} = ${d}); raise the damping`,
        { details: { argument, pivot: j, value: d } },
      );
    }
    const ljj = Math.sqrt(d);
    l[lj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const li = i * n;
      let s = a[li + j];
      for (let p = 0; p < j; p++) s -= l[li + p] * l[lj + p];
      l[li + j] = s / ljj;
    }
  }
  return l;
}

/** L⁻¹ for lower-triangular L (forward substitution on the identity). */
export function invertLower(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    inv[c * n + c] = 1 / l[c * n + c];
    for (let i = c + 1; i < n; i++) {
      let s = 0;
      for (let p = c; p < i; p++) s += l[i * n + p] * inv[p * n + c];
      inv[i * n + c] = -s / l[i * n + i];
    }
  }
  return inv;
}

/**
 * Upper-triangular U with H⁻¹ = Uᵀ U, for symmetric positive definite H (GPTQ's
 * `cholesky(cholesky_inverse(cholesky(H)), upper=True)`).
 */
export function inverseUpperCholesky(h: Float64Array, n: number, argument = 'hessian'): Float64Array {
  const l = cholesky(h, n, argument);
  const li = invertLower(l, n);
  // H⁻¹ = L⁻ᵀ L⁻¹; (H⁻¹)_{ij} = Σ_p Li[p,i] Li[p,j], p >= max(i, j).
  const hinv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = i; p < n; p++) s += li[p * n + i] * li[p * n + j];
      hinv[i * n + j] = s;
      hinv[j * n + i] = s;
    }
  }
  const l2 = cholesky(hinv, n, `${argument} inverse`);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = l2[i * n + j];
  return u;
}
