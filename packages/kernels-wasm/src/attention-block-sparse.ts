/**
 * Block-sparse attention on the wasm kernels: each (head, query block) visits only its kept key
 * blocks (a CSR list from `createBlockSparseLayout`), FlashAttention-2 online softmax over them
 * (the brief's section 8, shared/reference/sparse-attn-kernels.md). The result is the softmax
 * renormalised over the kept keys; the twin is `blockSparseAttentionReference`.
 */
import { checkOutputDisjoint, finishOutputRows, stageAttentionCall, viewOf } from './attention-staging';
import type { AttentionInput, AttentionOptions, BlockSparseLayout } from './attention-types';
import { resolveOutput, validateAttention, validateBlockSparseLayout } from './attention-validate';
import type { KernelInput } from './internal/io';
import type { Kernels } from './load';

export const blockSparseAttentionVariants = [
  'xk_f32_attention_block_sparse_4x8_relaxedsimd',
  'xk_f32_attention_block_sparse_4x8_wasmsimd',
] as const;

type Tensor = KernelInput<'float32'>;

/** Block-sparse attention; returns `[numHeads, queryLength, headDim]`. */
export function blockSparseAttention(
  kernels: Kernels,
  input: AttentionInput<Tensor>,
  layout: BlockSparseLayout,
  options: AttentionOptions<Tensor> = {},
): Float32Array {
  const name = 'blockSparseAttention';
  const { numHeads, numKvHeads, queryLength, kvLength, headDim } = input;
  const plain = { ...input, query: viewOf(input.query), key: viewOf(input.key), value: viewOf(input.value) };
  const { scale, causal } = validateAttention(name, plain, { scale: options.scale, causal: options.causal });
  validateBlockSparseLayout(name, layout, input);
  const rows = numHeads * queryLength;
  if (options.output !== undefined) resolveOutput(name, viewOf(options.output), rows * headDim);
  checkOutputDisjoint(name, options.output, { query: input.query, key: input.key, value: input.value });
  const kvRows = numKvHeads * kvLength;
  const { q, k, v, o, tables, scratch, dp } = stageAttentionCall(
    kernels,
    { ...input, output: options.output },
    { rows, kvRows, headDim },
    [layout.rowOffsets, layout.keyBlocks],
  );
  const [offsets, blocks] = tables;
  kernels.kernel(...blockSparseAttentionVariants)(
    q,
    k,
    v,
    o,
    numHeads,
    numKvHeads,
    queryLength,
    kvLength,
    dp,
    scale,
    causal ? 1 : 0,
    layout.blockSizeQuery,
    layout.blockSizeKey,
    layout.layoutHeads,
    offsets,
    blocks,
    scratch,
  );
  return finishOutputRows(kernels, options.output, o, rows, headDim);
}
