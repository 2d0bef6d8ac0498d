/**
 * The dense normalised Hadamard matrix H_n = (H_K ⊗ H_{2^m}) / sqrt(n) (brief §7.3), orthogonal.
 * Dense n² doubles: for offline fusion and tests. Apply it to activations with `applyHadamard`.
 */
import type { Matrix } from '../types';
import { factorHadamard } from './hadamard-factors';

/** H_n, n x n row-major fp64, `H Hᵀ = I`. Throws `QUANT_UNSUPPORTED_HADAMARD_SIZE`. */
export function createHadamard(n: number): Matrix<Float64Array> {
  const { k, powerOfTwo: p, outer, inner } = factorHadamard(n);
  const h = new Float64Array(n * n);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      const o = outer[a * k + b];
      for (let r = 0; r < p; r++) {
        const row = (a * p + r) * n + b * p;
        for (let c = 0; c < p; c++) h[row + c] = o * inner[r * p + c];
      }
    }
  }
  return { rows: n, cols: n, data: h };
}
