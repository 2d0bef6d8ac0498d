import { checkLength, checkWeightMatrix } from '../internal/validate';
import type { WeightMatrix } from '../types';

/**
 * Layer reconstruction error from the Hessian statistic: `Σ_i δ_iᵀ H δ_i` with `δ = W_dense − W_pruned` and
 * `H = (2/n) Σ XᵀX`, which equals `(2/n)·‖(W − Ŵ) Xᵀ‖_F²` without touching activations again. Per row.
 */
export function reconstructionErrorFromHessian(
  dense: WeightMatrix,
  pruned: WeightMatrix,
  hessian: Float64Array,
): Float64Array {
  checkWeightMatrix(dense, 'dense');
  checkWeightMatrix(pruned, 'pruned');
  const { rows, columns: k } = dense;
  checkLength(pruned.data, rows * k, 'pruned');
  checkLength(hessian, k * k, 'hessian');
  const result = new Float64Array(rows);
  const delta = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < k; j++) delta[j] = dense.data[i * k + j] - pruned.data[i * k + j];
    let total = 0;
    for (let a = 0; a < k; a++) {
      if (delta[a] === 0) continue;
      let inner = 0;
      for (let b = 0; b < k; b++) inner += hessian[a * k + b] * delta[b];
      total += delta[a] * inner;
    }
    result[i] = total;
  }
  return result;
}
