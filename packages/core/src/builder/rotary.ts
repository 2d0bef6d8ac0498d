import type { DecoderConfig } from './decoder-config';

/**
 * RoPE inverse frequencies, Su et al. 2021 "RoFormer" (arXiv 2104.09864) eq. 15, as HF Llama computes them:
 * `inv_freq[i] = 1 / theta^(2i / headDim)` for `i < headDim / 2`. Float64.
 */
export function computeInverseFrequencies(
  config: Pick<DecoderConfig, 'headDim' | 'ropeTheta'>,
): Float64Array {
  const half = config.headDim / 2;
  const result = new Float64Array(half);
  for (let i = 0; i < half; i++) result[i] = 1 / config.ropeTheta ** ((2 * i) / config.headDim);
  return result;
}

/**
 * The cos/sin caches that `GroupQueryAttention` / `RotaryEmbedding` take: `[maxPositions, headDim / 2]`,
 * `cache[p, i] = cos|sin(p * inv_freq[i])`, computed in float64 and rounded to float32 once.
 */
export function computeRotaryCaches(
  config: Pick<DecoderConfig, 'headDim' | 'ropeTheta'>,
  maxPositions: number,
): { cos: Float32Array; sin: Float32Array } {
  const inverse = computeInverseFrequencies(config);
  const half = inverse.length;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      cos[p * half + i] = Math.cos(p * inverse[i]);
      sin[p * half + i] = Math.sin(p * inverse[i]);
    }
  }
  return { cos, sin };
}
