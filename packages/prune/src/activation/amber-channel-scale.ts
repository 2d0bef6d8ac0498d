import { checkWeightMatrix } from '../internal/validate';
import type { WeightMatrix } from '../types';

export interface AmberChannelScaleOptions {
  /**
   * Robust-Norm scoring for dense models (Amber Pruner, arXiv 2508.02128; brief §4): drop the weights outside the
   * [0.5%, 99.5%] quantiles of the matrix, standardize the rest `(W − E[W]) / sqrt(Var[W])`, and take column norms
   * of that. Our reading of "drop" (excluded from the mean/variance and from the norms) follows a secondary summary,
   * not the PDF. @defaultValue false
   */
  robustNorm?: boolean;
  /** Quantile cut for Robust-Norm (each side). @defaultValue 0.005 */
  quantile?: number;
}

/** Linear-interpolated quantile of sorted values (torch.quantile's default 'linear'). */
function quantileOfSorted(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/**
 * Amber Pruner's static per-input-channel factor `f_j = ‖W_:,j‖₂ / min_k ‖W_:,k‖₂` (Wanda's weight-aware idea turned
 * onto activations; the division by the minimum keeps low-precision products from underflowing). Column j of the
 * `[out, in]` weight is input channel j. A zero minimum is replaced by the smallest positive norm (all-zero: all 1).
 */
export function computeAmberChannelScale(
  weight: WeightMatrix,
  options: AmberChannelScaleOptions = {},
): Float64Array {
  checkWeightMatrix(weight);
  const { rows, columns, data } = weight;
  const norms = new Float64Array(columns);
  if (options.robustNorm) {
    const quantile = options.quantile ?? 0.005;
    const sorted = Float64Array.from(data).sort();
    const low = quantileOfSorted(sorted, quantile);
    const high = quantileOfSorted(sorted, 1 - quantile);
    let count = 0;
    let sum = 0;
    for (let k = 0; k < data.length; k++) {
      if (data[k] >= low && data[k] <= high) {
        count++;
        sum += data[k];
      }
    }
    const mean = count === 0 ? 0 : sum / count;
    let squares = 0;
    for (let k = 0; k < data.length; k++)
      if (data[k] >= low && data[k] <= high) squares += (data[k] - mean) ** 2;
    const std = Math.sqrt(count === 0 ? 0 : squares / count) || 1;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < columns; j++) {
        const value = data[i * columns + j];
        if (value >= low && value <= high) norms[j] += ((value - mean) / std) ** 2;
      }
    }
  } else {
    for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) norms[j] += data[i * columns + j] ** 2;
  }
  let minimum = Number.POSITIVE_INFINITY;
  for (let j = 0; j < columns; j++) {
    norms[j] = Math.sqrt(norms[j]);
    if (norms[j] > 0 && norms[j] < minimum) minimum = norms[j];
  }
  if (minimum === Number.POSITIVE_INFINITY) return norms.fill(1);
  for (let j = 0; j < columns; j++) norms[j] /= minimum;
  return norms;
}
