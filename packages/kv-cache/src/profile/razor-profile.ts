import type { OnnxModel } from '@x/core';
import { checkFingerprint, computeModelFingerprint, type ModelFingerprint } from './fingerprint';
import {
  checkProfileHeader,
  invalidProfile,
  isNumberTable,
  readProfileJson,
  readProfileJsonSync,
} from './profile-file';

export const RAZOR_PROFILE_FORMAT = 'x-kv/razor-heads@1';

/** Resolved options of a RazorAttention head profile (echoed in the file). */
export interface ResolvedProfileRazorOptions {
  /** Random tokens per block (the reference uses 2500 at 10k context; shorter blocks fit small models). */
  blockLength: number;
  repeats: number;
  /** Random ids are uniform in [tokenLow, tokenLow + blockLength] (inclusive, as the reference). */
  tokenLow: number;
  /** Prepended BOS id, or null for none. */
  bosId: number | null;
  seed: number;
  echoRatio: number;
  inductionRatio: number;
}

/** What `x-kv profile` writes for RazorAttention (`razor-heads.json`). */
export interface RazorProfile {
  format: typeof RAZOR_PROFILE_FORMAT;
  fingerprint: ModelFingerprint;
  options: ResolvedProfileRazorOptions;
  /** `[layer][kvHead]` echo and induction scores. */
  scores: { echo: number[][]; induction: number[][] };
  /** Retrieval KV heads per layer (kept whole at run time). */
  heads: number[][];
}

/** Validates a parsed `razor-heads.json` (`KV_PROFILE_INVALID` naming `file`). */
export function parseRazorProfile(value: unknown, file = 'razor profile'): RazorProfile {
  const record = checkProfileHeader(file, value, RAZOR_PROFILE_FORMAT);
  const { numLayers, numKvHeads } = record.fingerprint;
  const heads = record.heads;
  if (
    !isNumberTable(heads, numLayers) ||
    heads.some((row) => row.some((h) => !Number.isInteger(h) || h < 0 || h >= numKvHeads))
  ) {
    throw invalidProfile(
      file,
      `heads must list KV heads in 0..${numKvHeads - 1} for each of ${numLayers} layers`,
    );
  }
  const scores = record.scores as RazorProfile['scores'] | undefined;
  if (!scores || !isNumberTable(scores.echo, numLayers) || !isNumberTable(scores.induction, numLayers)) {
    throw invalidProfile(file, 'scores.echo / scores.induction must be [layer][kvHead] tables');
  }
  return record as unknown as RazorProfile;
}

export async function readRazorProfile(file: string): Promise<RazorProfile> {
  return parseRazorProfile(await readProfileJson(file), file);
}

export function readRazorProfileSync(file: string): RazorProfile {
  return parseRazorProfile(readProfileJsonSync(file), file);
}

/**
 * Reads `razor-heads.json` and, with `model`, checks it was made for that model (shape and weights hash):
 * `KV_PROFILE_INVALID` / `KV_PROFILE_MISMATCH`.
 */
export async function loadRazorProfile(
  file: string,
  options: { model?: OnnxModel } = {},
): Promise<RazorProfile> {
  const profile = await readRazorProfile(file);
  if (options.model) checkFingerprint(file, profile.fingerprint, computeModelFingerprint(options.model));
  return profile;
}
