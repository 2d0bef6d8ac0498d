import { invalidOption } from '../errors';
import { checkPattern, checkWeightMatrix } from '../internal/validate';
import { applyMask } from '../mask/apply';
import { selectNmMask } from '../mask/n-m';
import { selectMatrixMask, selectRowMask } from '../mask/unstructured';
import type { WeightMatrix } from '../types';
import type { PruneMethod } from './method';

export interface MagnitudeOptions {
  /**
   * Comparison group for unstructured sparsity: `'matrix'` (one threshold per weight matrix, as the magnitude baseline
   * of the Wanda repo, brief §1) or `'row'` (per output row, exact per-row sparsity). N:M is always per group.
   * @defaultValue 'matrix'
   */
  scope?: 'matrix' | 'row';
}

export function resolveMagnitudeOptions(options: MagnitudeOptions = {}): Required<MagnitudeOptions> {
  const scope = options.scope ?? 'matrix';
  if (scope !== 'matrix' && scope !== 'row') throw invalidOption('scope', "must be 'matrix' or 'row'", scope);
  return { scope };
}

/** Magnitude score `|W_ij|` (data-free). */
export function scoreMagnitude(weight: WeightMatrix): Float64Array {
  checkWeightMatrix(weight);
  const scores = new Float64Array(weight.data.length);
  for (let k = 0; k < scores.length; k++) scores[k] = Math.abs(weight.data[k]);
  return scores;
}

/** Magnitude pruning: zero the smallest `|W|` (no calibration needed). */
export const magnitudeMethod: PruneMethod<MagnitudeOptions> = {
  name: 'magnitude',
  requires: [],
  score: (weight) => scoreMagnitude(weight),
  prune(weight, _statistics, pattern, options) {
    const { scope } = resolveMagnitudeOptions(options);
    checkPattern(pattern, weight.columns);
    const scores = scoreMagnitude(weight);
    const { rows, columns } = weight;
    const mask =
      pattern.kind === 'nm'
        ? selectNmMask(scores, rows, columns, pattern.n, pattern.m)
        : scope === 'matrix'
          ? selectMatrixMask(scores, rows, columns, pattern.sparsity)
          : selectRowMask(scores, rows, columns, pattern.sparsity);
    return { weight: applyMask(weight, mask), mask };
  },
};
