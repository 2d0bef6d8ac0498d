import type { LayerStatistics } from '../calibrate/layer-statistics';
import { requireStatistics } from '../calibrate/layer-statistics';
import { invalidOption } from '../errors';
import { argsortStable } from '../internal/argsort';
import { checkLength, checkNonNegative, checkPattern, checkWeightMatrix } from '../internal/validate';
import type { PruneMask, SparsityPattern, WeightMatrix } from '../types';
import { scoreWanda } from './wanda';

/** DSnoT options; defaults are those of the official `main.py` (brief §3.3). */
export interface DsnotOptions {
  /** T, the maximum number of swap attempts per row (`max_cycle_time`). @defaultValue 50 */
  maxCycles?: number;
  /** θ: a row stops once `|ε| <= θ`, ε in token-sum units (`update_threshold`). @defaultValue 0.1 */
  updateThreshold?: number;
  /** γ in the growing score `D_j / var_j^γ` (`pow_of_var_regrowing`). @defaultValue 1 */
  varianceExponent?: number;
  /**
   * Unstructured path only: also stop a row when a swap would flip the sign of ε. The official code passes
   * `without_same_sign=True`, which disables this check, so the default is false. The N:M path always checks.
   * @defaultValue false
   */
  sameSignCheck?: boolean;
  /**
   * `'row-width'`: T per linear is `min(T, max(1, round(T · in / 4096)))`, the official T = 50 scaled from the
   * 4096-input rows of LLaMA-7B it was set on to this linear's row width (`in` inputs). Not in the paper: on
   * narrow rows (hundreds of inputs) T = 50 swaps replace a large share of a row's mask and raise the layer's
   * reconstruction error (README, "DSnoT on a small model"). `'none'` keeps T for every width (the official code).
   * @defaultValue 'none'
   */
  scaleMaxCycles?: DsnotCycleScaling;
  /**
   * N:M path, which kept weight of the regrown weight's M-block is pruned. `'smallest-score'` (the official code):
   * the one with the smallest initial score, whatever its contribution's sign, so a swap can move ε AWAY from 0
   * (only a sign change stops the row); on the reference LM at 2:4 this multiplies the mean error ε² by 9.
   * `'opposite-sign'` (not in the code; the unstructured path's rule carried to N:M): the smallest-score kept weight
   * whose contribution has the opposite sign to ε, so every swap lowers |ε| (the row stops when none is left).
   * @defaultValue 'smallest-score'
   */
  nmPruneCandidate?: DsnotNmPruneCandidate;
}

/** Which kept weight DSnoT's N:M path prunes (`DsnotOptions.nmPruneCandidate`). */
export type DsnotNmPruneCandidate = 'smallest-score' | 'opposite-sign';

/** How T follows the row width (`DsnotOptions.scaleMaxCycles`). */
export type DsnotCycleScaling = 'none' | 'row-width';

/** The row width (LLaMA-7B's hidden size) DSnoT's T = 50 was set on; `'row-width'` scales T from it. */
export const DSNOT_REFERENCE_ROW_WIDTH = 4096;

/** T for a row of `columns` inputs under `scaling` (`DsnotOptions.scaleMaxCycles`). */
export function dsnotCyclesForWidth(maxCycles: number, columns: number, scaling: DsnotCycleScaling): number {
  if (scaling === 'none' || maxCycles === 0) return maxCycles;
  return Math.min(maxCycles, Math.max(1, Math.round((maxCycles * columns) / DSNOT_REFERENCE_ROW_WIDTH)));
}

export type ResolvedDsnotOptions = Required<DsnotOptions>;

export function resolveDsnotOptions(options: DsnotOptions = {}): ResolvedDsnotOptions {
  const resolved = {
    maxCycles: options.maxCycles ?? 50,
    updateThreshold: options.updateThreshold ?? 0.1,
    varianceExponent: options.varianceExponent ?? 1,
    sameSignCheck: options.sameSignCheck ?? false,
    scaleMaxCycles: options.scaleMaxCycles ?? 'none',
    nmPruneCandidate: options.nmPruneCandidate ?? 'smallest-score',
  };
  if (resolved.nmPruneCandidate !== 'smallest-score' && resolved.nmPruneCandidate !== 'opposite-sign') {
    throw invalidOption(
      'nmPruneCandidate',
      "must be 'smallest-score' or 'opposite-sign'",
      resolved.nmPruneCandidate,
    );
  }
  if (resolved.scaleMaxCycles !== 'none' && resolved.scaleMaxCycles !== 'row-width') {
    throw invalidOption('scaleMaxCycles', "must be 'none' or 'row-width'", resolved.scaleMaxCycles);
  }
  if (!Number.isInteger(resolved.maxCycles) || resolved.maxCycles < 0) {
    throw invalidOption(
      'maxCycles',
      `must be an integer >= 0, got ${resolved.maxCycles}`,
      resolved.maxCycles,
    );
  }
  checkNonNegative(resolved.updateThreshold, 'updateThreshold');
  checkNonNegative(resolved.varianceExponent, 'varianceExponent');
  return resolved;
}

export interface DsnotInput {
  /** Weights whose values D is computed from and that regrown weights take back (the dense W for Wanda, B1). */
  readonly weight: WeightMatrix;
  /** The starting mask (1 = pruned), e.g. Wanda's; not modified. */
  readonly mask: PruneMask;
  /** Its pattern: unstructured masks keep their per-row count, N:M masks stay N:M. */
  readonly pattern: SparsityPattern;
  /** Needs `input-norms` (the Wanda pruning score) and `moments` (xsum and variance). */
  readonly statistics: LayerStatistics;
  /**
   * N:M path: the initial method's score (higher = more important), e.g. `method.score(...)`. Inside the M-block of a
   * regrown weight, the kept weight with the smallest score is pruned. Defaults to the Wanda score.
   */
  readonly scores?: ArrayLike<number>;
}

export interface DsnotResult {
  /** The refined mask (same per-row count / still N:M). */
  readonly mask: PruneMask;
  /** Per-row expected reconstruction error `ε_i = Σ_{j∈P_i} W_ij·xsum_j` before and after (token-sum units). */
  readonly errorBefore: Float64Array;
  readonly errorAfter: Float64Array;
  /** Swaps made per row. */
  readonly swaps: Uint32Array;
  readonly options: ResolvedDsnotOptions;
}

const sign = (value: number): number => (value > 0 ? 1 : value < 0 ? -1 : 0);

/**
 * DSnoT, training-free prune-and-grow mask refinement (Zhang et al., ICLR 2024, arXiv 2310.08915; brief §3).
 * Weights are never updated; per output row, one pruned weight is regrown and one kept weight pruned per cycle,
 * driving the expected error ε_i toward 0:
 *  - D_ij = W_ij·xsum_j, ε_i = Σ_{j pruned} D_ij; a swap (prune p, regrow g) gives ε ← ε + D_p − D_g.
 *  - regrow: the pruned weight with the largest `sign(ε)·D_j/var_j^γ` (var guarded by +1e-12, B4).
 *  - prune (unstructured): the kept weight of opposite contribution sign with the smallest Wanda score.
 *  - prune (N:M): the not-yet-swapped kept weight with the smallest initial score inside the regrown weight's M-block.
 *  - a row stops when |ε| <= θ, after T cycles, or (N:M, or `sameSignCheck`) when ε would change sign.
 *  - optional (not in the paper): T scaled to the row width (`scaleMaxCycles: 'row-width'`); in N:M, prune only
 *    opposite-sign kept weights (`nmPruneCandidate: 'opposite-sign'`), so |ε| never grows.
 * Fix of B5 (stated deviation): a row also stops when no sign-correct candidate is left, so the official code's
 * pointer overrun (which regrows an already-kept weight and changes the sparsity) cannot happen.
 */
export function refineMaskDsnot(input: DsnotInput, options: DsnotOptions = {}): DsnotResult {
  const resolved = resolveDsnotOptions(options);
  const { weight, pattern, statistics } = input;
  checkWeightMatrix(weight);
  const { rows, columns } = weight;
  checkPattern(pattern, columns);
  checkLength(input.mask, rows * columns, 'mask');
  requireStatistics(statistics, ['input-norms', 'moments'], 'dsnot');
  const { sum, variance } = statistics.moments!;
  checkLength(sum, columns, 'statistics.moments.sum');
  checkLength(variance, columns, 'statistics.moments.variance');
  const wanda = scoreWanda(weight, statistics.inputSquaredNorms!);
  const initialScores = input.scores ?? wanda;
  checkLength(initialScores, rows * columns, 'scores');

  const mask = Uint8Array.from(input.mask);
  const errorBefore = new Float64Array(rows);
  const errorAfter = new Float64Array(rows);
  const swaps = new Uint32Array(rows);
  const { updateThreshold, varianceExponent, sameSignCheck } = resolved;
  const maxCycles = dsnotCyclesForWidth(resolved.maxCycles, columns, resolved.scaleMaxCycles);
  const varianceFactor = new Float64Array(columns);
  for (let j = 0; j < columns; j++) varianceFactor[j] = (variance[j] + 1e-12) ** varianceExponent;

  const contribution = new Float64Array(columns);
  const grow = new Float64Array(columns);
  const keptWanda = new Float64Array(columns);
  const nmScores = new Float64Array(columns);
  for (let i = 0; i < rows; i++) {
    const row = i * columns;
    let epsilon = 0;
    for (let j = 0; j < columns; j++) {
      contribution[j] = weight.data[row + j] * sum[j];
      const pruned = mask[row + j] === 1;
      if (pruned) epsilon += contribution[j];
      grow[j] = pruned ? contribution[j] / varianceFactor[j] : 0;
    }
    errorBefore[i] = epsilon;
    const sign0 = sign(epsilon);
    const growOrder = argsortStable(grow);
    let growLow = 0;
    let growHigh = columns - 1;

    if (pattern.kind === 'unstructured') {
      // Kept weights by ascending Wanda score; negatives in that order, then positives reversed (brief §3.4).
      for (let j = 0; j < columns; j++)
        keptWanda[j] = mask[row + j] === 1 ? Number.POSITIVE_INFINITY : wanda[row + j];
      const keptOrder = argsortStable(keptWanda);
      const pruneOrder: number[] = [];
      let kept = 0;
      for (let j = 0; j < columns; j++) if (mask[row + j] === 0) kept++;
      for (let q = 0; q < kept; q++) if (contribution[keptOrder[q]] < 0) pruneOrder.push(keptOrder[q]);
      for (let q = kept - 1; q >= 0; q--) if (contribution[keptOrder[q]] > 0) pruneOrder.push(keptOrder[q]);
      let pruneLow = 0;
      let pruneHigh = pruneOrder.length - 1;
      for (let cycle = 0; cycle < maxCycles; cycle++) {
        if (!(Math.abs(epsilon) > updateThreshold)) break;
        if (growLow > growHigh || pruneLow > pruneHigh) break;
        const g = epsilon > 0 ? growOrder[growHigh] : growOrder[growLow];
        const p = epsilon < 0 ? pruneOrder[pruneHigh] : pruneOrder[pruneLow];
        // B5 guard: the regrown weight must move ε toward 0 and the pruned one must have the opposite sign to ε.
        if (mask[row + g] !== 1 || grow[g] * epsilon <= 0) break;
        if (mask[row + p] !== 0 || contribution[p] * epsilon >= 0) break;
        const next = epsilon + contribution[p] - contribution[g];
        if (sameSignCheck && sign(next) !== sign0) break;
        mask[row + p] = 1;
        mask[row + g] = 0;
        if (epsilon > 0) growHigh--;
        else growLow++;
        if (epsilon < 0) pruneHigh--;
        else pruneLow++;
        epsilon = next;
        swaps[i]++;
      }
    } else {
      const { m } = pattern;
      const oppositeSignOnly = resolved.nmPruneCandidate === 'opposite-sign';
      for (let j = 0; j < columns; j++) {
        nmScores[j] = mask[row + j] === 1 ? Number.POSITIVE_INFINITY : initialScores[row + j];
      }
      for (let cycle = 0; cycle < maxCycles; cycle++) {
        if (!(Math.abs(epsilon) > updateThreshold)) break;
        if (growLow > growHigh) break;
        const positive = epsilon > 0;
        const g = positive ? growOrder[growHigh] : growOrder[growLow];
        if (mask[row + g] !== 1 || grow[g] * epsilon <= 0) break;
        const blockStart = g - (g % m);
        let p = -1;
        for (let j = blockStart; j < blockStart + m; j++) {
          if (nmScores[j] === Number.POSITIVE_INFINITY) continue;
          if (oppositeSignOnly && contribution[j] * epsilon >= 0) continue;
          if (p < 0 || nmScores[j] < nmScores[p]) p = j;
        }
        if (p >= 0) {
          const next = epsilon + contribution[p] - contribution[g];
          if (sign(next) !== sign0) break;
          nmScores[p] = Number.POSITIVE_INFINITY;
          mask[row + p] = 1;
          mask[row + g] = 0;
          epsilon = next;
          swaps[i]++;
        }
        // Every kept weight of the block was already swapped out: skip the swap (guard of brief §3.5).
        if (positive) growHigh--;
        else growLow++;
      }
    }
    errorAfter[i] = epsilon;
  }
  return { mask, errorBefore, errorAfter, swaps, options: resolved };
}

/** Which linears DSnoT leaves on their initial mask (`skip_layer`, brief §3.3). */
export type DsnotSkip = 'mlp' | 'self_attn' | 'no_skip';

/** The official default skips every MLP linear (gate/up/down): `dsnotSkips('mlp', 'mlp') === true`. */
export function dsnotSkips(skip: DsnotSkip, block: 'mlp' | 'self_attn'): boolean {
  if (skip !== 'mlp' && skip !== 'self_attn' && skip !== 'no_skip') {
    throw invalidOption('skipLayer', "must be 'mlp', 'self_attn' or 'no_skip'", skip);
  }
  return skip === block;
}
