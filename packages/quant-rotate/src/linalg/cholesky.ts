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

/** L⁻¹ for lower-triangular L, row by row so every inner loop is contiguous. */
export function invertLower(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  const acc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // L[i, :i] · inv[:i, c] for every c < i, accumulated over rows p of inv.
    acc.fill(0, 0, i);
    for (let p = 0; p < i; p++) {
      const lip = l[i * n + p];
      if (lip === 0) continue;
      const row = p * n;
      for (let c = 0; c <= p; c++) acc[c] += lip * inv[row + c];
    }
    const d = l[i * n + i];
    for (let c = 0; c < i; c++) inv[i * n + c] = -acc[c] / d;
    inv[i * n + i] = 1 / d;
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
  for (let p = 0; p < n; p++) {
    const row = p * n;
    for (let i = 0; i <= p; i++) {
      const lpi = li[row + i];
      if (lpi === 0) continue;
      const out = i * n;
      for (let j = 0; j <= i; j++) hinv[out + j] += lpi * li[row + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) hinv[j * n + i] = hinv[i * n + j];
  const l2 = cholesky(hinv, n, `${argument} inverse`);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = l2[i * n + j];
  return u;
}
