import type { Backend, BackendRequest, ProgressCallback } from '@x/core';
import { losaDelta } from '../allocation/losa';
import { invalidOption } from '../errors';
import { checkSparsity } from '../internal/validate';
import { parseSparsityPattern } from '../mask/pattern';
import type { DsnotOptions, DsnotSkip, ResolvedDsnotOptions } from '../methods/dsnot';
import { resolveDsnotOptions } from '../methods/dsnot';
import type { DsnotSparseGptBase } from '../methods/prune-linear';
import { getPruneMethod } from '../methods/registry';
import type { LinearProjection, SparsityPattern } from '../types';

export const ALL_PROJECTIONS: readonly LinearProjection[] = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
];

/** DSnoT options plus which sub-block it leaves alone (`skip_layer`, brief §3.3). */
export interface PruneModelDsnotOptions extends DsnotOptions {
  /** `'mlp'` (official default: gate/up/down keep the initial mask), `'self_attn'` or `'no_skip'`. @defaultValue 'mlp' */
  skipLayer?: DsnotSkip;
}

export interface PruneModelOptions {
  /** A registered method: `magnitude`, `wanda`, `sparsegpt` (or your own). @defaultValue 'wanda' */
  method?: string;
  /** Unstructured ratio (`0.6`), an `"N:M"` string (`"2:4"` keeps 2 of 4) or a pattern object. @defaultValue 0.5 */
  sparsity?: number | string | SparsityPattern;
  /**
   * Per-decoder-layer unstructured sparsity overriding `sparsity` (e.g. from `allocateOwl` or `allocateLosa`),
   * one entry per layer of the model.
   */
  layerSparsity?: readonly number[];
  /**
   * Layer-wise sparsity: `'uniform'`, or `'owl'` (a dense pass computes each block's outlier ratio, then
   * `allocateOwl`; mean sparsity preserved), optionally `{ kind: 'owl', lambda: 0.08, outlierMultiplier: 5 }`, or
   * `'losa'` (a dense pass computes CKA between block inputs, then `allocateLosa`; `{ kind: 'losa', beta: 1, delta }`).
   * Ignored when `layerSparsity` is given. @defaultValue 'uniform'
   */
  allocation?:
    | 'uniform'
    | 'owl'
    | 'losa'
    | { kind: 'owl'; lambda?: number; outlierMultiplier?: number }
    | { kind: 'losa'; beta?: number; delta?: number };
  /** Options of the method, e.g. `{ blocksize: 128, percdamp: 0.01 }` for SparseGPT. */
  methodOptions?: object;
  /** Refine masks with DSnoT (`true`: the paper's defaults, attention linears only). @defaultValue false */
  dsnot?: boolean | PruneModelDsnotOptions;
  /** SparseGPT + DSnoT: start from SparseGPT's saliency (official intent) or its OBS result. @defaultValue 'saliency' */
  dsnotSparseGptBase?: DsnotSparseGptBase;
  /**
   * Calibration token-id sequences, all of one length (the papers use 128 × 2048 from C4). Needed by every
   * method except magnitude without DSnoT.
   */
  calibration?: readonly ArrayLike<number | bigint>[];
  /** Decoder layers to prune; the others stay byte for byte. @defaultValue every layer */
  layers?: readonly number[];
  /** Projections to prune in each layer. @defaultValue all seven */
  projections?: readonly LinearProjection[];
  /**
   * Also collect each linear's Hessian to report `(2/n)‖(W − Ŵ)Xᵀ‖²` before and after DSnoT. Costs in² float64
   * per distinct linear input. @defaultValue true
   */
  measureError?: boolean;
  /** The ORT backend that runs the blocks. @defaultValue `{ prefer: ['node', 'web'] }` */
  backend?: Backend | BackendRequest;
  /** Compute threads for the block sessions. @defaultValue ORT's default */
  threads?: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** The options as resolved, echoed in the report so a run can be repeated. */
export interface ResolvedPruneModelOptions {
  method: string;
  sparsity: SparsityPattern;
  layerSparsity: number[] | undefined;
  allocation:
    | { kind: 'uniform' }
    | { kind: 'owl'; lambda: number; outlierMultiplier: number }
    | { kind: 'losa'; beta: number; delta: number };
  methodOptions: object;
  dsnot: (ResolvedDsnotOptions & { skipLayer: DsnotSkip }) | false;
  dsnotSparseGptBase: DsnotSparseGptBase;
  layers: number[];
  projections: LinearProjection[];
  measureError: boolean;
  calibration: { samples: number; seqlen: number };
}

/**
 * Resolves and validates the options for a model of `numLayers` decoder layers. With `calibrationPending` the
 * calibration checks are skipped (used to validate everything else before reading a calibration file).
 */
export function resolvePruneModelOptions(
  options: PruneModelOptions,
  numLayers: number,
  calibrationPending = false,
): ResolvedPruneModelOptions {
  const method = options.method ?? 'wanda';
  const requires = getPruneMethod(method).requires;
  const sparsity =
    typeof options.sparsity === 'object' && options.sparsity !== null
      ? parseSparsityPattern(
          options.sparsity.kind === 'nm'
            ? `${options.sparsity.n}:${options.sparsity.m}`
            : options.sparsity.sparsity,
          'sparsity',
        )
      : parseSparsityPattern(options.sparsity ?? 0.5, 'sparsity');
  let layerSparsity: number[] | undefined;
  if (options.layerSparsity !== undefined) {
    if (options.layerSparsity.length !== numLayers) {
      throw invalidOption(
        'layerSparsity',
        `needs one entry per layer (${numLayers})`,
        options.layerSparsity.length,
      );
    }
    if (sparsity.kind === 'nm') throw invalidOption('layerSparsity', 'applies to unstructured sparsity only');
    options.layerSparsity.forEach((value, index) => {
      checkSparsity(value, `layerSparsity[${index}]`);
    });
    layerSparsity = [...options.layerSparsity];
  }
  const givenAllocation = options.allocation ?? 'uniform';
  const allocationKind = typeof givenAllocation === 'string' ? givenAllocation : givenAllocation?.kind;
  if (allocationKind !== 'uniform' && allocationKind !== 'owl' && allocationKind !== 'losa') {
    throw invalidOption('allocation', "must be 'uniform', 'owl' or 'losa'", givenAllocation);
  }
  let allocation: ResolvedPruneModelOptions['allocation'] = { kind: 'uniform' };
  if (layerSparsity === undefined && allocationKind !== 'uniform') {
    if (sparsity.kind === 'nm')
      throw invalidOption('allocation', `${allocationKind} applies to unstructured sparsity only`);
    const given = typeof givenAllocation === 'object' ? givenAllocation : undefined;
    if (allocationKind === 'owl') {
      const owl = given as { lambda?: number; outlierMultiplier?: number } | undefined;
      allocation = {
        kind: 'owl',
        lambda: owl?.lambda ?? 0.08,
        outlierMultiplier: owl?.outlierMultiplier ?? 5,
      };
    } else {
      const losa = given as { beta?: number; delta?: number } | undefined;
      allocation = {
        kind: 'losa',
        beta: losa?.beta ?? 1,
        delta: losa?.delta ?? losaDelta(sparsity.sparsity),
      };
    }
  }
  let dsnot: ResolvedPruneModelOptions['dsnot'] = false;
  if (options.dsnot) {
    const given = options.dsnot === true ? {} : options.dsnot;
    const skipLayer = given.skipLayer ?? 'mlp';
    if (skipLayer !== 'mlp' && skipLayer !== 'self_attn' && skipLayer !== 'no_skip') {
      throw invalidOption('dsnot.skipLayer', "must be 'mlp', 'self_attn' or 'no_skip'", skipLayer);
    }
    dsnot = { ...resolveDsnotOptions(given), skipLayer };
  }
  const dsnotSparseGptBase = options.dsnotSparseGptBase ?? 'saliency';
  if (dsnotSparseGptBase !== 'saliency' && dsnotSparseGptBase !== 'obs-updated') {
    throw invalidOption('dsnotSparseGptBase', "must be 'saliency' or 'obs-updated'", dsnotSparseGptBase);
  }
  const layers = [...(options.layers ?? Array.from({ length: numLayers }, (_, index) => index))];
  for (const layer of layers) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= numLayers) {
      throw invalidOption('layers', `layer ${layer} does not exist (the model has ${numLayers})`, layer);
    }
  }
  const projections = [...(options.projections ?? ALL_PROJECTIONS)];
  for (const projection of projections) {
    if (!ALL_PROJECTIONS.includes(projection)) {
      throw invalidOption('projections', `unknown projection ${String(projection)}`, projection);
    }
  }
  const measureError = options.measureError ?? true;
  const calibration = options.calibration ?? [];
  const needsData = requires.length > 0 || dsnot !== false || measureError || allocation.kind !== 'uniform';
  if (needsData && calibration.length === 0 && !calibrationPending) {
    throw invalidOption(
      'calibration',
      `method ${method}${dsnot ? ' with DSnoT' : ''}${measureError ? ' (or measureError)' : ''} needs calibration sequences`,
    );
  }
  const seqlen = calibration[0]?.length ?? 0;
  calibration.forEach((sample, index) => {
    if (sample.length !== seqlen || seqlen === 0) {
      throw invalidOption(
        'calibration',
        `sequence ${index} has ${sample.length} tokens, expected ${seqlen} (> 0)`,
      );
    }
  });
  return {
    method,
    sparsity,
    layerSparsity,
    allocation,
    methodOptions: options.methodOptions ?? {},
    dsnot,
    dsnotSparseGptBase,
    layers,
    projections,
    measureError,
    calibration: { samples: needsData ? calibration.length : 0, seqlen: needsData ? seqlen : 0 },
  };
}
