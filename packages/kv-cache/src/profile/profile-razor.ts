import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Backend,
  type BackendName,
  createRng,
  type OnnxModel,
  type ProgressCallback,
  throwIfAborted,
} from '@x/core';
import { invalidOption } from '../errors';
import { createGenerator } from '../runtime/create-generator';
import { createCapturePolicy } from './capture-policy';
import { computeModelFingerprint } from './fingerprint';
import { openModel } from './model-source';
import { RAZOR_PROFILE_FORMAT, type RazorProfile, type ResolvedProfileRazorOptions } from './razor-profile';
import { scoreRetrievalHeads, selectRetrievalHeads } from './razor-scores';

export interface ProfileRazorOptions {
  /**
   * Random tokens per probe block. The reference uses 2500 (×4 = 10k tokens); the probe must fit the model's
   * context: `repeats · blockLength + 1 ≤ maxPositions`. @defaultValue 500 (the brief's shorter probe)
   */
  blockLength?: number;
  /** Block repeats. @defaultValue 4 */
  repeats?: number;
  /** Lowest random id; ids are uniform in [tokenLow, tokenLow + blockLength]. @defaultValue vocabSize / 4, floored */
  tokenLow?: number;
  /** BOS id prepended to the probe; `null` for none. @defaultValue null */
  bosId?: number | null;
  /** Seed of `createRng` for the probe. @defaultValue 0 */
  seed?: number;
  /** Share of KV heads (model-wide) kept for their echo score. @defaultValue 0.01 (golden-stick `ra_config.py`) */
  echoRatio?: number;
  /** Share kept for their induction score. @defaultValue 0.14 (golden-stick `ra_config.py`) */
  inductionRatio?: number;
  /** @defaultValue 'node' */
  backend?: Backend | BackendName;
  /** Phases `razor-probe` (one event per layer scored). */
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export function resolveProfileRazorOptions(
  options: ProfileRazorOptions,
  vocabSize: number,
): ResolvedProfileRazorOptions {
  const caller = 'profileRazorHeads';
  const blockLength = options.blockLength ?? 500;
  const repeats = options.repeats ?? 4;
  const tokenLow = options.tokenLow ?? Math.floor(vocabSize / 4);
  const ratio = (name: string, value: number) => {
    if (!(value >= 0 && value <= 1)) throw invalidOption(caller, `options.${name}`, value, 'in [0, 1]');
    return value;
  };
  if (!Number.isInteger(blockLength) || blockLength < 2)
    throw invalidOption(caller, 'options.blockLength', blockLength, 'an integer >= 2');
  if (!Number.isInteger(repeats) || repeats < 2)
    throw invalidOption(caller, 'options.repeats', repeats, 'an integer >= 2');
  if (!Number.isInteger(tokenLow) || tokenLow < 0 || tokenLow + blockLength >= vocabSize) {
    throw invalidOption(
      caller,
      'options.tokenLow',
      tokenLow,
      `an id with tokenLow + blockLength < vocab ${vocabSize}`,
    );
  }
  return {
    blockLength,
    repeats,
    tokenLow,
    bosId: options.bosId ?? null,
    seed: options.seed ?? 0,
    echoRatio: ratio('echoRatio', options.echoRatio ?? 0.01),
    inductionRatio: ratio('inductionRatio', options.inductionRatio ?? 0.14),
  };
}

/** `max_position_embeddings` of `<dir>/config.json`, if any. */
async function readContextLength(dir: string): Promise<number | undefined> {
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const value = config.max_position_embeddings;
    return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The probe: [BOS] + a block of random ids repeated `repeats` times. */
export function buildRazorProbe(options: ResolvedProfileRazorOptions): number[] {
  const rng = createRng(options.seed);
  const block = Array.from(
    { length: options.blockLength },
    () => options.tokenLow + rng.int(options.blockLength + 1),
  );
  const probe = options.bosId === null ? [] : [options.bosId];
  for (let r = 0; r < options.repeats; r++) probe.push(...block);
  return probe;
}

/**
 * Finds RazorAttention's retrieval heads (arXiv 2407.15891 §3; kv-cache brief §1.1): one prefill of the repeated
 * random-token probe in split mode, each layer's causal attention recomputed from its captured post-RoPE q/k and
 * scored for echo and induction mass, then the top `echoRatio` ∪ top `inductionRatio` KV heads model-wide.
 * Returns the profile to save next to the model (`writeProfileJson`).
 */
export async function profileRazorHeads(
  model: string | OnnxModel,
  options: ProfileRazorOptions = {},
): Promise<RazorProfile> {
  const onnx = await openModel(model);
  const fingerprint = computeModelFingerprint(onnx);
  const resolved = resolveProfileRazorOptions(options, fingerprint.vocabSize);
  const probe = buildRazorProbe(resolved);
  const context = typeof model === 'string' ? await readContextLength(model) : undefined;
  if (context !== undefined && probe.length > context) {
    throw invalidOption(
      'profileRazorHeads',
      'options.blockLength',
      resolved.blockLength,
      `small enough for the probe (${probe.length} tokens) to fit the model's context of ${context}`,
    );
  }
  const layout = {
    offset: resolved.bosId === null ? 0 : 1,
    blockLength: resolved.blockLength,
    repeats: resolved.repeats,
  };
  const echo: number[][] = [];
  const induction: number[][] = [];
  let scored = 0;
  const policy = createCapturePolicy((captured) => {
    throwIfAborted(options.signal, 'razor-probe');
    const scores = scoreRetrievalHeads({
      query: captured.query,
      key: captured.key,
      numHeads: fingerprint.numHeads,
      numKvHeads: fingerprint.numKvHeads,
      headDim: fingerprint.headDim,
      length: captured.length,
      scale: captured.scale,
      layout,
    });
    echo[captured.layer] = Array.from(scores.echo);
    induction[captured.layer] = Array.from(scores.induction);
    scored++;
    options.onProgress?.({ phase: 'razor-probe', done: scored, total: fingerprint.numLayers });
  });
  const generator = await createGenerator(onnx, {
    mode: 'split',
    backend: options.backend,
    policy,
    maxPositions: Math.max(probe.length, 1),
  });
  try {
    await generator.generate(probe, { maxNewTokens: 1, signal: options.signal });
  } finally {
    await generator.release();
  }
  const heads = selectRetrievalHeads({ echo, induction }, resolved);
  return { format: RAZOR_PROFILE_FORMAT, fingerprint, options: resolved, scores: { echo, induction }, heads };
}
