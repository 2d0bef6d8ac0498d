import {
  type Backend,
  type BackendName,
  type OnnxModel,
  type ProgressCallback,
  throwIfAborted,
} from '@x/core';
import { invalidOption, KvCacheError } from '../errors';
import { createGenerator } from '../runtime/create-generator';
import { createCapturePolicy } from './capture-policy';
import { computeModelFingerprint } from './fingerprint';
import { KVTUNER_PAIRS } from './kvtuner-pairs';
import {
  KVTUNER_PROFILE_FORMAT,
  type KvTunerProfile,
  type ResolvedProfileKvTunerOptions,
} from './kvtuner-profile';
import { clusterLayers, pruneLayerPairs, searchKvTuner } from './kvtuner-search';
import { measureLayerSensitivity } from './kvtuner-sensitivity';
import { openModel } from './model-source';

export interface ProfileKvTunerOptions {
  /** Average-bit budget. @defaultValue 3.25 (KVTuner's headline setting for Llama-3.1-8B) */
  budget?: number;
  /** Layer clusters. @defaultValue 6 (KVTuner's Llama-3.1-8B grouping has 6) */
  groups?: number;
  /** KIVI residual length. @defaultValue 128 */
  residualLength?: number;
  /** Queries scored per prompt. @defaultValue 64 */
  queryRows?: number;
  /** @defaultValue 'node' */
  backend?: Backend | BackendName;
  /** Phases `kvtuner-calibrate` (per prompt). */
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/**
 * KVTuner (Li et al. 2025, arXiv 2502.04420; kv-cache brief §2.2) offline: each calibration prompt runs once in split
 * mode with q/k/v captured; every layer's sensitivity to every (K bits, V bits) pair is the relative attention-output
 * error of `measureLayerSensitivity` (mean over prompts); then intra-layer Pareto pruning, inter-layer clustering and
 * the exhaustive multi-objective search under the average-bit budget. `calibration`: token sequences (e.g.
 * `sampleCalibrationSet(...).sequences`, which records its own seed). Returns the profile for `kvtuner.json`.
 */
export async function profileKvTuner(
  model: string | OnnxModel,
  calibration: readonly (readonly number[])[],
  options: ProfileKvTunerOptions & { seed?: number } = {},
): Promise<KvTunerProfile> {
  const caller = 'profileKvTuner';
  const budget = options.budget ?? 3.25;
  if (!(budget >= 2 && budget <= 8)) throw invalidOption(caller, 'options.budget', budget, 'in [2, 8] bits');
  const groups = options.groups ?? 6;
  if (!Number.isInteger(groups) || groups < 1)
    throw invalidOption(caller, 'options.groups', groups, 'an integer >= 1');
  const residualLength = options.residualLength ?? 128;
  if (!Number.isInteger(residualLength) || residualLength < 32 || residualLength % 32 !== 0) {
    throw invalidOption(caller, 'options.residualLength', residualLength, 'a positive multiple of 32');
  }
  const queryRows = options.queryRows ?? 64;
  if (!Number.isInteger(queryRows) || queryRows < 1)
    throw invalidOption(caller, 'options.queryRows', queryRows, 'an integer >= 1');
  if (calibration.length === 0) throw invalidOption(caller, 'calibration', 0, 'at least one token sequence');
  const onnx = await openModel(model);
  const fingerprint = computeModelFingerprint(onnx);
  const { numLayers, numHeads, numKvHeads, headDim } = fingerprint;
  const sums = Array.from({ length: numLayers }, () => new Array<number>(KVTUNER_PAIRS.length).fill(0));
  const policy = createCapturePolicy((captured) => {
    const errors = measureLayerSensitivity(
      { ...captured, numHeads, numKvHeads, headDim, residualLength, queryRows },
      KVTUNER_PAIRS,
    );
    for (let p = 0; p < errors.length; p++) sums[captured.layer][p] += errors[p] / calibration.length;
  });
  const longest = Math.max(...calibration.map((sequence) => sequence.length));
  const generator = await createGenerator(onnx, {
    mode: 'split',
    backend: options.backend,
    policy,
    maxPositions: longest,
  });
  try {
    for (let i = 0; i < calibration.length; i++) {
      throwIfAborted(options.signal, 'kvtuner-calibrate');
      await generator.generate(calibration[i], { maxNewTokens: 1 });
      options.onProgress?.({ phase: 'kvtuner-calibrate', done: i + 1, total: calibration.length });
    }
  } finally {
    await generator.release();
  }
  const clusters = clusterLayers(sums, Math.min(groups, numLayers));
  let search: ReturnType<typeof searchKvTuner>;
  try {
    search = searchKvTuner(sums, KVTUNER_PAIRS, clusters, budget);
  } catch (error) {
    throw new KvCacheError('KV_INVALID_OPTION', `${caller}: ${(error as Error).message}`, {
      cause: error,
      details: { option: 'budget', value: budget },
    });
  }
  const resolved: ResolvedProfileKvTunerOptions = {
    budget,
    groups,
    residualLength,
    queryRows,
    samples: calibration.length,
    seqlen: longest,
    seed: options.seed ?? 0,
  };
  return {
    format: KVTUNER_PROFILE_FORMAT,
    fingerprint,
    options: resolved,
    pairs: [...KVTUNER_PAIRS],
    sensitivity: sums,
    pruned: pruneLayerPairs(sums, KVTUNER_PAIRS),
    clusters,
    front: search.front,
    layers: search.chosen.pairs.map((p) => KVTUNER_PAIRS[p]),
    averageBits: search.chosen.averageBits,
  };
}
