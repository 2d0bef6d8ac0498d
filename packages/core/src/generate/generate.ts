import type { Session } from '../backend/types';
import { throwIfAborted } from '../errors';
import { createRng } from '../rng';
import type { Tensor } from '../tensor/tensor';
import { describeDecoderIo } from './decoder-io';
import { runDecoderStep } from './decoder-step';
import { logitRow } from './logit-row';
import { resolveGenerateOptions } from './resolve-generate-options';
import { argmax, sampleToken } from './select-token';
import type { GenerateOptions, GenerateResult } from './types';

/**
 * A plain whole-model decoding loop (batch 1) over a stock Optimum decoder export: step 1 feeds the prompt with a
 * zero-length past built from the session's input metadata; every later step feeds the last token, explicit
 * `position_ids` (= number of tokens before it), an all-ones `attention_mask` and `present.*` renamed to
 * `past_key_values.*`. Greedy by default (reproduces HF `generate(do_sample=False)`); with `temperature > 0` it
 * samples (top-k, then top-p) from a seeded `createRng`.
 *
 * Errors: `X_INVALID_ARGUMENT` (options), `X_EVAL` (not a decoder export), `X_SESSION` (runtime), `X_ABORTED`.
 */
export async function generate(session: Session, options: GenerateOptions): Promise<GenerateResult> {
  const resolved = resolveGenerateOptions(options);
  const io = describeDecoderIo(session, 'generate');
  const rng = resolved.mode === 'sample' ? createRng(resolved.seed) : undefined;
  const stop = new Set(resolved.stopIds);
  const tokens: number[] = [];
  let past: Record<string, Tensor> | undefined;
  let start = 0;
  let pending: ArrayLike<number> = options.inputIds;
  let prefillMs = 0;
  let decodeMs = 0;
  let stopReason: GenerateResult['stopReason'] = 'max-new-tokens';
  while (tokens.length < resolved.maxNewTokens) {
    throwIfAborted(options.signal, 'generate');
    const began = performance.now();
    const step = await runDecoderStep(session, io, {
      tokens: pending,
      start,
      past,
      logitsToKeep: 1,
      fetchPresent: true,
    });
    const elapsed = performance.now() - began;
    if (past === undefined) prefillMs = elapsed;
    else decodeMs += elapsed;
    const rows = step.logits.dims[step.logits.dims.length - 2];
    const logits = logitRow(step.logits, rows - 1);
    const token = rng
      ? sampleToken(
          logits,
          { temperature: resolved.temperature, topK: resolved.topK, topP: resolved.topP },
          rng,
        )
      : argmax(logits);
    tokens.push(token);
    options.onToken?.(token, tokens.length - 1);
    start += pending.length;
    past = step.present;
    pending = [token];
    if (stop.has(token)) {
      stopReason = 'stop-id';
      break;
    }
  }
  return {
    tokens,
    stopReason,
    options: resolved,
    prefillMs,
    decodeMs,
    decodeTokensPerSecond: tokens.length > 1 ? ((tokens.length - 1) * 1000) / decodeMs : Number.NaN,
    past: past ?? {},
  };
}
