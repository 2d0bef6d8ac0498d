import type { DecoderAnatomy, Dtype, GraphProto, Tensor } from '@x/core';
import { createTensor, dataTypeToDtype } from '@x/core';
import { PruneError } from '../errors';

/**
 * The graph-input values of one calibration sequence, run as a fresh prefill: `input_ids [1, L]`,
 * `attention_mask` all ones, `position_ids` 0..L−1 and empty past key/values `[1, kvHeads, 0, headDim]`.
 * Only the names in `needed` are built; an input nobody knows how to fill throws PRUNE_UNSUPPORTED_MODEL.
 */
export function buildSampleFeeds(
  graph: GraphProto,
  anatomy: DecoderAnatomy,
  tokens: ArrayLike<number | bigint>,
  needed: readonly string[],
): Record<string, Tensor> {
  const length = tokens.length;
  const feeds: Record<string, Tensor> = {};
  const pastNames = new Set(anatomy.io.past.flatMap((names) => (names ? [names.key, names.value] : [])));
  for (const name of needed) {
    if (name === anatomy.io.inputIds) {
      feeds[name] = createTensor(
        'int64',
        [1, length],
        BigInt64Array.from(tokens as ArrayLike<number>, (t) => BigInt(t)),
      );
    } else if (name === anatomy.io.attentionMask) {
      feeds[name] = createTensor('int64', [1, length], new BigInt64Array(length).fill(1n));
    } else if (name === anatomy.io.positionIds) {
      feeds[name] = createTensor(
        'int64',
        [1, length],
        BigInt64Array.from({ length }, (_, index) => BigInt(index)),
      );
    } else if (pastNames.has(name)) {
      const info = (graph.input ?? []).find((value) => value.name === name);
      const dtype: Dtype = dataTypeToDtype(info?.type?.tensorType?.elemType ?? 1) ?? 'float32';
      const { numKvHeads, headDim } = anatomy.config;
      feeds[name] = createTensor(dtype, [1, numKvHeads, 0, headDim]);
    } else {
      throw new PruneError(
        'PRUNE_UNSUPPORTED_MODEL',
        `cannot build a calibration value for graph input ${name}`,
        {
          details: { input: name },
        },
      );
    }
  }
  return feeds;
}
