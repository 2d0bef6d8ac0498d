import type { OnnxModel } from '@x/core';
import { checkFingerprint, computeModelFingerprint, type ModelFingerprint } from './fingerprint';
import type { KvBitPair } from './kvtuner-pairs';
import type { KvTunerCandidate } from './kvtuner-search';
import { checkProfileHeader, invalidProfile, readProfileJson, readProfileJsonSync } from './profile-file';

export const KVTUNER_PROFILE_FORMAT = 'x-kv/kvtuner@1';

/** Resolved options of a KVTuner search (echoed in the file). */
export interface ResolvedProfileKvTunerOptions {
  /** Average-bit budget: Σ_l (b_K + b_V) / (2L) ≤ budget. */
  budget: number;
  /** Layer clusters sharing one pair. */
  groups: number;
  /** KIVI residual length R used when measuring (and, by default, at run time). */
  residualLength: number;
  /** Queries scored per calibration prompt (the last ones). */
  queryRows: number;
  /** Calibration prompts and their length. */
  samples: number;
  seqlen: number;
  seed: number;
}

/** What `x-kv profile` writes for KVTuner (`kvtuner.json`). */
export interface KvTunerProfile {
  format: typeof KVTUNER_PROFILE_FORMAT;
  fingerprint: ModelFingerprint;
  options: ResolvedProfileKvTunerOptions;
  /** The candidate pairs, indexed by the tables below. */
  pairs: KvBitPair[];
  /** `[layer][pair]` relative attention-output error (mean over calibration prompts). */
  sensitivity: number[][];
  /** Intra-layer Pareto pairs per layer (indices into `pairs`). */
  pruned: number[][];
  /** Layer clusters. */
  clusters: number[][];
  /** Pareto front of the search. */
  front: KvTunerCandidate[];
  /** The chosen (key bits, value bits) per layer — what the `kvtuner` policy runs. */
  layers: KvBitPair[];
  averageBits: number;
}

/** Validates a parsed `kvtuner.json` (`KV_PROFILE_INVALID` naming `file`). */
export function parseKvTunerProfile(value: unknown, file = 'kvtuner profile'): KvTunerProfile {
  const record = checkProfileHeader(file, value, KVTUNER_PROFILE_FORMAT);
  const layers = record.layers;
  const bits = [2, 4, 8];
  if (
    !Array.isArray(layers) ||
    layers.length !== record.fingerprint.numLayers ||
    layers.some(
      (pair) =>
        typeof pair !== 'object' ||
        pair === null ||
        !bits.includes((pair as KvBitPair).keyBits) ||
        !bits.includes((pair as KvBitPair).valueBits),
    )
  ) {
    throw invalidProfile(
      file,
      `layers must give {keyBits, valueBits} in {2, 4, 8} for each of ${record.fingerprint.numLayers} layers`,
    );
  }
  const options = record.options as Partial<ResolvedProfileKvTunerOptions> | undefined;
  if (!options || !Number.isInteger(options.residualLength))
    throw invalidProfile(file, 'options.residualLength is missing');
  return record as unknown as KvTunerProfile;
}

export function readKvTunerProfileSync(file: string): KvTunerProfile {
  return parseKvTunerProfile(readProfileJsonSync(file), file);
}

/** Reads `kvtuner.json`; with `model`, checks it was made for that model (`KV_PROFILE_MISMATCH`). */
export async function loadKvTunerProfile(
  file: string,
  options: { model?: OnnxModel } = {},
): Promise<KvTunerProfile> {
  const profile = parseKvTunerProfile(await readProfileJson(file), file);
  if (options.model) checkFingerprint(file, profile.fingerprint, computeModelFingerprint(options.model));
  return profile;
}
