/*
 * Activation staging for the MatMulNBits kernels: each row of A (length k, zero-padded to
 * kBlocks * blockSize) is quantized per block to int16 with a symmetric scale
 * s_a = max|a| / 32767 (relative error <= 2^-16 of the block's max, far below int4/int8 weight
 * error), so the dot products run on i32x4.dot_i16x8_s. Per block we also keep s_a and
 * t = s_a * sum(a_q) (for the zero-point term: sum (q - zp) a = sum q a - zp sum a).
 *
 * split_even_odd != 0 stores each block as [even elements | odd elements], the order in which
 * the 4-bit kernel unpacks low / high nibbles (MatMulNBits: element 2j = low nibble of byte j).
 */
#include "../common/xk-common.h"

void XK_EXPORT(xk_qn_prepare_a)(size_t m, size_t k, size_t block_size, int split_even_odd, const float *XK_RESTRICT a,
                                size_t lda, int16_t *XK_RESTRICT aq, float *XK_RESTRICT a_scale,
                                float *XK_RESTRICT a_t) {
  const size_t blocks = (k + block_size - 1) / block_size;
  const size_t half = block_size / 2;
  for (size_t i = 0; i < m; i++) {
    const float *row = a + i * lda;
    for (size_t b = 0; b < blocks; b++) {
      const size_t start = b * block_size;
      const size_t end = start + block_size < k ? start + block_size : k;
      float amax = 0.0f;
      for (size_t j = start; j < end; j++) {
        const float v = __builtin_fabsf(row[j]);
        amax = v > amax ? v : amax;
      }
      const float inverse = amax > 0.0f ? 32767.0f / amax : 0.0f;
      int16_t *out = aq + (i * blocks + b) * block_size;
      int32_t sum = 0;
      for (size_t j = 0; j < block_size; j++) {
        float scaled = start + j < end ? row[start + j] * inverse : 0.0f;
        scaled = scaled > 32767.0f ? 32767.0f : (scaled < -32767.0f ? -32767.0f : scaled);
        const int32_t q = (int32_t)__builtin_rintf(scaled);
        sum += q;
        const size_t position = split_even_odd ? ((j & 1) ? half + (j >> 1) : (j >> 1)) : j;
        out[position] = (int16_t)q;
      }
      a_scale[i * blocks + b] = amax / 32767.0f;
      a_t[i * blocks + b] = (amax / 32767.0f) * (float)sum;
    }
  }
}
