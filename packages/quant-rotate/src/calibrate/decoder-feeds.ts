/**
 * Feeds for one sequence through an Optimum-layout decoder (batch 1, no past): input_ids, an all-ones
 * attention_mask, position_ids 0..T−1 and empty past_key_values `[1, kvHeads, 0, headDim]`.
 */
import { createTensor, type DecoderAnatomy, type Tensor } from '@x/core';

export function createDecoderFeeds(anatomy: DecoderAnatomy, ids: readonly number[]): Record<string, Tensor> {
  const t = ids.length;
  const feeds: Record<string, Tensor> = {
    [anatomy.io.inputIds]: createTensor(
      'int64',
      [1, t],
      ids.map((id) => BigInt(id)),
    ),
  };
  if (anatomy.io.attentionMask)
    feeds[anatomy.io.attentionMask] = createTensor('int64', [1, t], new Array(t).fill(1n));
  if (anatomy.io.positionIds) {
    feeds[anatomy.io.positionIds] = createTensor(
      'int64',
      [1, t],
      Array.from({ length: t }, (_, i) => BigInt(i)),
    );
  }
  const { numKvHeads, headDim } = anatomy.config;
  for (const past of anatomy.io.past) {
    if (!past) continue;
    feeds[past.key] = createTensor('float32', [1, numKvHeads, 0, headDim]);
    feeds[past.value] = createTensor('float32', [1, numKvHeads, 0, headDim]);
  }
  return feeds;
}
