import type { LayerStatistics } from '../calibrate/layer-statistics';
import { requireStatistics } from '../calibrate/layer-statistics';
import { checkLength, checkPattern, checkWeightMatrix } from '../internal/validate';
import { applyMask } from '../mask/apply';
import { selectNmMask } from '../mask/n-m';
import { selectRowMask } from '../mask/unstructured';
import type { WeightMatrix } from '../types';
import type { PruneMethod } from './method';

/**
 * Wanda score `S_ij = |W_ij| · sqrt(sqnorm_j)` = `|W_ij|·‖X_:,j‖₂` up to a constant
 * (Sun et al. 2023, arXiv 2306.11695, Eq. 1; brief §1).
 */
export function scoreWanda(weight: WeightMatrix, inputSquaredNorms: ArrayLike<number>): Float64Array {
  checkWeightMatrix(weight);
  checkLength(inputSquaredNorms, weight.columns, 'inputSquaredNorms');
  const { rows, columns, data } = weight;
  const norms = new Float64Array(columns);
  for (let j = 0; j < columns; j++) norms[j] = Math.sqrt(inputSquaredNorms[j]);
  const scores = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) scores[i * columns + j] = Math.abs(data[i * columns + j]) * norms[j];
  }
  return scores;
}

function wandaScoreOf(weight: WeightMatrix, statistics: LayerStatistics | undefined): Float64Array {
  requireStatistics(statistics, ['input-norms'], 'wanda');
  return scoreWanda(weight, statistics!.inputSquaredNorms!);
}

/** Wanda: per-output-row comparison group (exact per-row sparsity) or N:M groups; weights are only zeroed. */
export const wandaMethod: PruneMethod = {
  name: 'wanda',
  requires: ['input-norms'],
  score: (weight, statistics) => wandaScoreOf(weight, statistics),
  prune(weight, statistics, pattern) {
    checkPattern(pattern, weight.columns);
    const scores = wandaScoreOf(weight, statistics);
    const { rows, columns } = weight;
    const mask =
      pattern.kind === 'nm'
        ? selectNmMask(scores, rows, columns, pattern.n, pattern.m)
        : selectRowMask(scores, rows, columns, pattern.sparsity);
    return { weight: applyMask(weight, mask), mask };
  },
};
