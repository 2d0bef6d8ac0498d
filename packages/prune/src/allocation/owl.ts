import { invalidOption } from '../errors';
import { checkNonNegative, checkSparsity } from '../internal/validate';

/**
 * OWL's layerwise outlier distribution entry for one block (Yin et al., ICML 2024, arXiv 2310.05175; brief §6):
 * `D_l = 100 · #{A > M·mean(A)} / |A|` over the Wanda scores `A = |W|·‖X‖` of all the block's linears together.
 * @param scores the Wanda score arrays of the block's linears (concatenated conceptually).
 * @param outlierMultiplier M (`Hyper_m`). @defaultValue 5
 */
export function computeOutlierRatio(scores: readonly ArrayLike<number>[], outlierMultiplier = 5): number {
  checkNonNegative(outlierMultiplier, 'outlierMultiplier');
  let count = 0;
  let total = 0;
  for (const array of scores) {
    for (let k = 0; k < array.length; k++) total += array[k];
    count += array.length;
  }
  if (count === 0) throw invalidOption('scores', 'needs at least one score', count);
  const threshold = (total / count) * outlierMultiplier;
  let outliers = 0;
  for (const array of scores) for (let k = 0; k < array.length; k++) if (array[k] > threshold) outliers++;
  return (100 * outliers) / count;
}

export interface OwlOptions {
  /** Target mean sparsity S in (0, 1). */
  sparsity: number;
  /** λ (`Lamda`): layer sparsities span [S − λ, S + λ]. @defaultValue 0.08 */
  lambda?: number;
  /** Floor applied to a layer sparsity that would be <= 0 (official: 0.01). @defaultValue 0.01 */
  minimumSparsity?: number;
}

/**
 * OWL allocation (brief §6, `prune_wanda_outlier`): `r_l = (D_l − min D)/(max D − min D)·2λ`,
 * `r_l ← r_l − mean(r) + (1 − S)` (density, mean preserved), `s_l = 1 − r_l`, floored. More outliers → denser.
 * All-equal ratios give a uniform allocation. The mean of the result is S unless the floor triggers (S < λ).
 */
export function allocateOwl(outlierRatios: ArrayLike<number>, options: OwlOptions): Float64Array {
  const { sparsity } = options;
  checkSparsity(sparsity);
  const lambda = options.lambda ?? 0.08;
  const floor = options.minimumSparsity ?? 0.01;
  checkNonNegative(lambda, 'lambda');
  checkNonNegative(floor, 'minimumSparsity');
  const layers = outlierRatios.length;
  if (layers === 0) throw invalidOption('outlierRatios', 'needs at least one layer', layers);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let l = 0; l < layers; l++) {
    min = Math.min(min, outlierRatios[l]);
    max = Math.max(max, outlierRatios[l]);
  }
  const density = new Float64Array(layers);
  let mean = 0;
  for (let l = 0; l < layers; l++) {
    density[l] = max > min ? ((outlierRatios[l] - min) / (max - min)) * 2 * lambda : 0;
    mean += density[l] / layers;
  }
  const result = new Float64Array(layers);
  for (let l = 0; l < layers; l++) {
    const s = 1 - (density[l] - mean + (1 - sparsity));
    result[l] = s <= 0 ? floor : s;
  }
  return result;
}
