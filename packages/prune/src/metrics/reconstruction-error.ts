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
  const nonzero = new Int32Array(k);
  for (let i = 0; i < rows; i++) {
    // δ is zero wherever the weight was left alone: sum over its support only.
    let count = 0;
    for (let j = 0; j < k; j++) {
      delta[j] = dense.data[i * k + j] - pruned.data[i * k + j];
      if (delta[j] !== 0) nonzero[count++] = j;
    }
    let total = 0;
    for (let p = 0; p < count; p++) {
      const a = nonzero[p];
      const row = a * k;
      let inner = 0;
      for (let q = 0; q < count; q++) inner += hessian[row + nonzero[q]] * delta[nonzero[q]];
      total += delta[a] * inner;
    }
    result[i] = total;
  }
  return result;
}
