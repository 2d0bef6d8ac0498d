import type { Session } from '../backend/types';
import { createTensor } from '../tensor/create-tensor';
import type { Tensor } from '../tensor/tensor';
import type { DecoderIo } from './decoder-io';

export interface DecoderStepInput {
  /** New tokens of the one row (batch 1). */
  tokens: ArrayLike<number>;
  /** Absolute position of `tokens[0]` (= length of the past). */
  start: number;
  /** Cache from the previous step by input name, or undefined on step 1 (zero-length past). */
  past: Record<string, Tensor> | undefined;
  /** Logit rows wanted: 0 = all (when the export has `num_logits_to_keep`), 1 = last only. */
  logitsToKeep: number;
  /** Also fetch `present.*` (generation needs them; perplexity does not). */
  fetchPresent: boolean;
}

export interface DecoderStepOutput {
  /** `[1, rows, vocab]` float32. */
  logits: Tensor;
  /** Next step's past, keyed by `past_key_values.*` names. */
  present: Record<string, Tensor>;
}

/**
 * One forward of a batch-1 Optimum decoder with EXPLICIT `position_ids` = start..start+n-1 and an all-ones
 * `attention_mask` of past+new length (kv-cache brief §8.3: positions never derived from the mask).
 */
export async function runDecoderStep(
  session: Session,
  io: DecoderIo,
  input: DecoderStepInput,
): Promise<DecoderStepOutput> {
  const count = input.tokens.length;
  const total = input.start + count;
  const ids = new BigInt64Array(count);
  const positions = new BigInt64Array(count);
  for (let i = 0; i < count; i++) {
    ids[i] = BigInt(input.tokens[i]);
    positions[i] = BigInt(input.start + i);
  }
  const feeds: Record<string, Tensor> = {
    input_ids: createTensor('int64', [1, count], ids),
    attention_mask: createTensor('int64', [1, total], new BigInt64Array(total).fill(1n)),
  };
  if (io.positionIds) feeds.position_ids = createTensor('int64', [1, count], positions);
  if (io.logitsToKeep) feeds[io.logitsToKeep] = createTensor('int64', [], [BigInt(input.logitsToKeep)]);
  if (io.useCacheBranch) feeds.use_cache_branch = createTensor('bool', [1], [input.past ? 1 : 0]);
  for (const entry of io.cache) {
    feeds[entry.input] = input.past?.[entry.input] ?? createTensor(entry.dtype, entry.emptyDims);
  }
  const fetches = input.fetchPresent ? ['logits', ...io.cache.map((entry) => entry.output)] : ['logits'];
  const outputs = await session.run(feeds, fetches);
  const present: Record<string, Tensor> = {};
  if (input.fetchPresent) for (const entry of io.cache) present[entry.input] = outputs[entry.output];
  return { logits: outputs.logits, present };
}
