/**
 * Dense attention on the wasm kernels: causal or not, GQA, optional additive bias and boolean mask
 * (tree attention for speculative decoding). FlashAttention-2 online softmax (arXiv 2307.08691) in
 * 4x8 SIMD tiles; the twin is `attentionReference`. Layout and conventions: `attention-types.ts`.
 */
import { checkOutputDisjoint, finishOutputRows, stageAttentionCall, viewOf } from './attention-staging';
import type { AttentionInput, AttentionMaskOptions } from './attention-types';
import { resolveOutput, validateAttention } from './attention-validate';
import type { KernelInput } from './internal/io';
import type { Kernels } from './load';

/** Export names of the dense kernel, best first (the relaxed one exists only in the relaxed build). */
export const attentionVariants = [
  'xk_f32_attention_4x8_relaxedsimd',
  'xk_f32_attention_4x8_wasmsimd',
] as const;

type Tensor = KernelInput<'float32'>;

/** Dense attention; returns `[numHeads, queryLength, headDim]` (a KernelBuffer output's view when given one). */
export function attention(
  kernels: Kernels,
  input: AttentionInput<Tensor>,
  options: AttentionMaskOptions<Tensor> = {},
): Float32Array {
  const name = 'attention';
  const { numHeads, numKvHeads, queryLength, kvLength, headDim } = input;
  const plain = { ...input, query: viewOf(input.query), key: viewOf(input.key), value: viewOf(input.value) };
  const { scale, causal, biasHeads, maskHeads } = validateAttention(name, plain, options);
  const rows = numHeads * queryLength;
  if (options.output !== undefined) resolveOutput(name, viewOf(options.output), rows * headDim);
  checkOutputDisjoint(name, options.output, { query: input.query, key: input.key, value: input.value });
  const kvOffsets = new Int32Array(numKvHeads + 1);
  for (let g = 0; g <= numKvHeads; g++) kvOffsets[g] = g * kvLength;
  const { q, k, v, o, tables, scratch, dp } = stageAttentionCall(
    kernels,
    { ...input, output: options.output },
    { rows, kvRows: numKvHeads * kvLength, headDim },
    [kvOffsets, options.bias, options.mask],
  );
  const [offsets, bias, mask] = tables;
  const plane = queryLength * kvLength;
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
    0,
    biasHeads === 1 ? 0 : plane,
    kvLength,
    mask,
    0,
    maskHeads === 1 ? 0 : plane,
    kvLength,
    scratch,
  );
  return finishOutputRows(kernels, options.output, o, rows, headDim);
}
