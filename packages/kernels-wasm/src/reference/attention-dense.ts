/**
 * TypeScript twin of the dense attention kernel, the spec it is tested against: plain loops, float64
 * accumulation, a two-pass softmax per query row (max, then exp-sum) rather than the kernel's online
 * one. `o_i = sum_j softmax_j(scale * q_i . k_j + bias_ij) v_j` over the keys row `i` may see (Vaswani
 * et al., "Attention Is All You Need", arXiv 1706.03762, Eq. 1); layout and conventions in
 * `attention-types.ts`.
 */
import type { AttentionInput, AttentionMaskOptions } from '../attention-types';
import { resolveOutput, validateAttention } from '../attention-validate';

const KERNEL = 'attentionReference';

/** Dense attention, causal or not, GQA, optional additive bias and boolean mask. */
export function attentionReference(input: AttentionInput, options: AttentionMaskOptions = {}): Float32Array {
  const { query, key, value, numHeads, numKvHeads, queryLength, kvLength, headDim } = input;
  const { scale, causal, biasHeads, maskHeads } = validateAttention(KERNEL, input, options);
  const output = resolveOutput(KERNEL, options.output, numHeads * queryLength * headDim);
  const group = numHeads / numKvHeads;
  const plane = queryLength * kvLength;
  const scores = new Float64Array(kvLength);
  const accumulator = new Float64Array(headDim);
  for (let h = 0; h < numHeads; h++) {
    const kvBase = Math.floor(h / group) * kvLength * headDim;
    for (let i = 0; i < queryLength; i++) {
      const qBase = (h * queryLength + i) * headDim;
      const limit = causal ? i + kvLength - queryLength : kvLength - 1;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < kvLength; j++) {
        let visible = j <= limit;
        if (visible && options.mask !== undefined) {
          visible = options.mask[(maskHeads === 1 ? 0 : h) * plane + i * kvLength + j] !== 0;
        }
        if (!visible) {
          scores[j] = Number.NEGATIVE_INFINITY;
          continue;
        }
        let dot = 0;
        for (let c = 0; c < headDim; c++) dot += query[qBase + c] * key[kvBase + j * headDim + c];
        let score = scale * dot;
        if (options.bias !== undefined)
          score += options.bias[(biasHeads === 1 ? 0 : h) * plane + i * kvLength + j];
        scores[j] = score;
        if (score > max) max = score;
      }
      accumulator.fill(0);
      let sum = 0;
      if (max !== Number.NEGATIVE_INFINITY) {
        for (let j = 0; j < kvLength; j++) {
          if (scores[j] === Number.NEGATIVE_INFINITY) continue;
          const weight = Math.exp(scores[j] - max);
          sum += weight;
          for (let c = 0; c < headDim; c++) accumulator[c] += weight * value[kvBase + j * headDim + c];
        }
      }
      for (let c = 0; c < headDim; c++) output[qBase + c] = sum > 0 ? accumulator[c] / sum : 0;
    }
  }
  return output;
}
