/**
 * Ragged attention on the wasm kernels: every KV head has its own key list and length
 * (RazorAttention arXiv 2407.15891: retrieval heads keep the whole cache, the others sinks + a
 * recent window + a compensation token whose `keyBias` is `ln n_d`). Same engine as `attention`.
 */

import { attentionVariants } from './attention';
import { checkOutputDisjoint, finishOutputRows, stageAttentionCall, viewOf } from './attention-staging';
import type { RaggedAttentionInput, RaggedAttentionOptions } from './attention-types';
import { resolveOutput, validateRaggedAttention } from './attention-validate';
import type { KernelInput } from './internal/io';
import type { Kernels } from './load';

type Tensor = KernelInput<'float32'>;

/** Attention over per-KV-head key lists; returns `[numHeads, queryLength, headDim]`. */
export function raggedAttention(
  kernels: Kernels,
  input: RaggedAttentionInput<Tensor>,
  options: RaggedAttentionOptions<Tensor> = {},
): Float32Array {
  const name = 'raggedAttention';
  const { numHeads, numKvHeads, queryLength, headDim } = input;
  const plain = { ...input, query: viewOf(input.query), key: viewOf(input.key), value: viewOf(input.value) };
  const { scale, causal, kvOffsets } = validateRaggedAttention(name, plain, options);
  const rows = numHeads * queryLength;
  if (options.output !== undefined) resolveOutput(name, viewOf(options.output), rows * headDim);
  checkOutputDisjoint(name, options.output, { query: input.query, key: input.key, value: input.value });
  const { q, k, v, o, tables, scratch, dp } = stageAttentionCall(
    kernels,
    { ...input, output: options.output },
    { rows, kvRows: kvOffsets[numKvHeads], headDim },
    [kvOffsets, options.keyBias],
  );
  const [offsets, bias] = tables;
  // keyBias: the bias row of every query of KV head g starts at keyBias[kvOffsets[g]] (kv stride 1).
  kernels.kernel(...attentionVariants)(
    q,
    k,
    v,
    o,
    offsets,
    numHeads,
    numKvHeads,
    queryLength,
    dp,
    scale,
    causal ? 1 : 0,
    bias,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    scratch,
  );
  return finishOutputRows(kernels, options.output, o, rows, headDim);
}
