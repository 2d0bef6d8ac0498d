import type { LayerStatistics, StatisticKind } from '../calibrate/layer-statistics';
import { invalidOption } from '../errors';
import { checkPattern, checkWeightMatrix } from '../internal/validate';
import { applyMask, maskSparsity } from '../mask/apply';
import { selectNmMask } from '../mask/n-m';
import { selectRowMask } from '../mask/unstructured';
import { meanReconstructionError } from '../metrics/mean-reconstruction-error';
import { reconstructionErrorFromHessian } from '../metrics/reconstruction-error';
import type { PruneMask, SparsityPattern, WeightMatrix } from '../types';
import { type DsnotOptions, type ResolvedDsnotOptions, refineMaskDsnot, resolveDsnotOptions } from './dsnot';
import { getPruneMethod } from './registry';
import { pruneSparseGpt, type SparseGptOptions } from './sparsegpt';

/**
 * How DSnoT starts from SparseGPT (brief §3.6 B2):
 * - `'saliency'`: SparseGPT's saliency `W²/diag(U)²` (H accumulated correctly, full-matrix U), ranked per row,
 *   no OBS update; DSnoT then refines that mask over the dense weights. This is what the official code intends
 *   (its `add_batch` never fills H, so the repo itself cannot reproduce the row).
 * - `'obs-updated'`: full SparseGPT (OBS updates, lazy blocks), then DSnoT over the OBS-updated values, a regrown
 *   weight taking its compensated value. Not in the official code: a variant.
 */
export type DsnotSparseGptBase = 'saliency' | 'obs-updated';

export interface PruneLinearOptions {
  /** A registered method name (`magnitude`, `wanda`, `sparsegpt`, or your own). @defaultValue 'wanda' */
  method?: string;
  /** Target pattern. */
  pattern: SparsityPattern;
  /** Options of the method (e.g. `{ blocksize, percdamp }` for SparseGPT, `{ scope }` for magnitude). */
  methodOptions?: object;
  /** Refine the method's mask with DSnoT (`true` for the paper's defaults). @defaultValue false */
  dsnot?: boolean | DsnotOptions;
  /** With `method: 'sparsegpt'` and DSnoT: which SparseGPT result DSnoT starts from. @defaultValue 'saliency' */
  dsnotSparseGptBase?: DsnotSparseGptBase;
  /**
   * Report `reconstructionError` when the statistics hold a Hessian (costs rows·in² multiply-adds).
   * @defaultValue true
   */
  measureError?: boolean;
}

export interface ResolvedPruneLinearOptions {
  method: string;
  pattern: SparsityPattern;
  methodOptions: object;
  dsnot: ResolvedDsnotOptions | false;
  dsnotSparseGptBase: DsnotSparseGptBase;
}

export interface PruneLinearResult {
  readonly weight: WeightMatrix;
  readonly mask: PruneMask;
  /** Fraction of zeroed weights in `mask`. */
  readonly sparsity: number;
  /** DSnoT's expected error `Σ_i |ε_i|` (token-sum units) before and after, and the swaps made. */
  readonly dsnot?: {
    readonly expectedErrorBefore: number;
    readonly expectedErrorAfter: number;
    readonly swaps: number;
  };
  /**
   * With the `hessian` statistic: `Σ_i δ_iᵀ H δ_i = (2/n)‖(W − Ŵ)Xᵀ‖²` of the method's result (`initial`, before
   * DSnoT) and of the returned weights (`final`).
   */
  readonly reconstructionError?: {
    readonly initial: number;
    readonly final: number;
    /**
     * With the `moments` statistic too (DSnoT): the parts of `initial`/`final` carried by the inputs' mean,
     * `Σ_i 2L·(δ_i·μ)²` (`meanReconstructionError`), the only part DSnoT's ε steers.
     */
    readonly initialMean?: number;
    readonly finalMean?: number;
  };
  readonly options: ResolvedPruneLinearOptions;
}

export function resolvePruneLinearOptions(options: PruneLinearOptions): ResolvedPruneLinearOptions {
  const method = options.method ?? 'wanda';
  getPruneMethod(method);
  checkPattern(options.pattern);
  const base = options.dsnotSparseGptBase ?? 'saliency';
  if (base !== 'saliency' && base !== 'obs-updated') {
    throw invalidOption('dsnotSparseGptBase', "must be 'saliency' or 'obs-updated'", base);
  }
  const dsnot = options.dsnot ? resolveDsnotOptions(options.dsnot === true ? {} : options.dsnot) : false;
  return {
    method,
    pattern: options.pattern,
    methodOptions: options.methodOptions ?? {},
    dsnot,
    dsnotSparseGptBase: base,
  };
}

/** The calibration statistics `pruneLinear` needs for these options (plus `hessian` when `measureError`). */
export function requiredStatistics(options: PruneLinearOptions, measureError = false): StatisticKind[] {
  const resolved = resolvePruneLinearOptions(options);
  const kinds = new Set<StatisticKind>(getPruneMethod(resolved.method).requires);
  if (resolved.dsnot) {
    kinds.add('input-norms');
    kinds.add('moments');
  }
  if (measureError) kinds.add('hessian');
  return [...kinds];
}

function sum(values: Float64Array, absolute = false): number {
  let total = 0;
  for (let k = 0; k < values.length; k++) total += absolute ? Math.abs(values[k]) : values[k];
  return total;
}

/**
 * Prunes one linear: the method, then optionally DSnoT on its mask. Pure: the input weight is not modified.
 * Errors: PRUNE_INVALID_OPTION, PRUNE_UNKNOWN_METHOD, PRUNE_NO_CALIBRATION, PRUNE_SHAPE_MISMATCH,
 * PRUNE_CHOLESKY_FAILED.
 */
export function pruneLinear(
  weight: WeightMatrix,
  statistics: LayerStatistics | undefined,
  options: PruneLinearOptions,
): PruneLinearResult {
  checkWeightMatrix(weight);
  const resolved = resolvePruneLinearOptions(options);
  const { pattern, dsnot } = resolved;
  checkPattern(pattern, weight.columns);
  const method = getPruneMethod(resolved.method);
  let initial: { weight: WeightMatrix; mask: PruneMask; base: WeightMatrix };
  if (dsnot && resolved.method === 'sparsegpt' && resolved.dsnotSparseGptBase === 'saliency') {
    const scores = method.score(weight, statistics, resolved.methodOptions);
    const { rows, columns } = weight;
    const mask =
      pattern.kind === 'nm'
        ? selectNmMask(scores, rows, columns, pattern.n, pattern.m)
        : selectRowMask(scores, rows, columns, pattern.sparsity);
    initial = { weight: applyMask(weight, mask), mask, base: weight };
  } else if (dsnot && resolved.method === 'sparsegpt') {
    const result = pruneSparseGpt(
      weight,
      statistics?.hessian ?? new Float64Array(0),
      pattern,
      resolved.methodOptions as SparseGptOptions,
    );
    const base = { data: result.preMaskWeight, rows: weight.rows, columns: weight.columns };
    initial = { weight: result.weight, mask: result.mask, base };
  } else {
    const result = method.prune(weight, statistics, pattern, resolved.methodOptions);
    initial = { weight: result.weight, mask: result.mask, base: weight };
  }
  let final = initial.weight;
  let mask = initial.mask;
  let dsnotSummary: PruneLinearResult['dsnot'];
  if (dsnot) {
    const refined = refineMaskDsnot(
      {
        weight: initial.base,
        mask: initial.mask,
        pattern,
        statistics: statistics as LayerStatistics,
        scores: pattern.kind === 'nm' ? method.score(weight, statistics, resolved.methodOptions) : undefined,
      },
      dsnot,
    );
    mask = refined.mask;
    final = applyMask(initial.base, mask);
    dsnotSummary = {
      expectedErrorBefore: sum(refined.errorBefore, true),
      expectedErrorAfter: sum(refined.errorAfter, true),
      swaps: refined.swaps.reduce((a, b) => a + b, 0),
    };
  }
  const hessian = options.measureError === false ? undefined : statistics?.hessian;
  let reconstructionError: PruneLinearResult['reconstructionError'];
  if (hessian) {
    const initialError = sum(reconstructionErrorFromHessian(weight, initial.weight, hessian));
    const finalError =
      final === initial.weight ? initialError : sum(reconstructionErrorFromHessian(weight, final, hessian));
    reconstructionError = { initial: initialError, final: finalError };
    const moments = statistics?.moments;
    if (moments && moments.samples > 0) {
      const length = moments.tokens / moments.samples;
      reconstructionError = {
        ...reconstructionError,
        initialMean: sum(meanReconstructionError(weight, initial.weight, moments.mean, length)),
        finalMean: sum(meanReconstructionError(weight, final, moments.mean, length)),
      };
    }
  }
  return {
    weight: final,
    mask,
    sparsity: maskSparsity(mask),
    dsnot: dsnotSummary,
    reconstructionError,
    options: resolved,
  };
}
