/**
 * TypeScript twin of ragged attention (each KV head its own key list and length): per KV head, the
 * dense twin over that head's rows, with `keyBias` broadcast over the query rows. RazorAttention's
 * compensation token (arXiv 2407.15891, Eq. 4) is a key with bias `ln n_d`.
 */
import type { RaggedAttentionInput, RaggedAttentionOptions } from '../attention-types';
import { resolveOutput, validateRaggedAttention } from '../attention-validate';
import { attentionReference } from './attention-dense';

const KERNEL = 'raggedAttentionReference';

/** Attention over per-KV-head key lists of their own lengths. */
export function raggedAttentionReference(
  input: RaggedAttentionInput,
  options: RaggedAttentionOptions = {},
): Float32Array {
  const { numHeads, numKvHeads, queryLength, headDim } = input;
  const { scale, causal, kvOffsets } = validateRaggedAttention(KERNEL, input, options);
  const output = resolveOutput(KERNEL, options.output, numHeads * queryLength * headDim);
  const group = numHeads / numKvHeads;
  const headSize = queryLength * headDim;
  for (let g = 0; g < numKvHeads; g++) {
    const begin = kvOffsets[g];
    const kvLength = kvOffsets[g + 1] - begin;
    const out = output.subarray(g * group * headSize, (g + 1) * group * headSize);
    if (kvLength === 0) {
      out.fill(0);
      continue;
    }
    let bias: Float32Array | undefined;
    if (options.keyBias !== undefined) {
      bias = new Float32Array(queryLength * kvLength);
      for (let i = 0; i < queryLength; i++)
        bias.set(options.keyBias.subarray(begin, begin + kvLength), i * kvLength);
    }
    attentionReference(
      {
        query: input.query.subarray(g * group * headSize, (g + 1) * group * headSize),
        key: input.key.subarray(begin * headDim, (begin + kvLength) * headDim),
        value: input.value.subarray(begin * headDim, (begin + kvLength) * headDim),
        numHeads: group,
        numKvHeads: 1,
        queryLength,
        kvLength,
        headDim,
      },
      { scale, causal, bias, output: out },
    );
  }
  return output;
}
