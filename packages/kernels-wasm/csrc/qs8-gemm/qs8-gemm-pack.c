/*
 * Packing for the int8 x int8 -> int32 GEMM (W8A8). B int8 [k, n] (or [n, k] when transposed)
 * is widened to int16 and packed in panels of 8 output columns: 8 int32 bias values (0 when
 * bias is NULL), then for every pair of k (k zero-padded to even) 16 int16 values ordered
 * (B[2p, j], B[2p+1, j]) for j = n0..n0+7, the operand layout of i32x4.dot_i16x8_s
 * (XNNPACK qs8 "c2" packing, sparse-attn-kernels.md §9.2). Panel size: 8 int32 + ceil(k/2) * 16 int16.
 *
 * xk_qs8_widen_a widens A int8 [m, k] to int16 [m, 2 * ceil(k / 2)] (zero-padded) so each k-pair is
 * one 32-bit load-splat in the kernel.
 */
#include "../common/xk-common.h"

void XK_EXPORT(xk_qs8_gemm_pack)(size_t k, size_t n, const int8_t *XK_RESTRICT b, size_t ldb, int transposed,
                                 const int32_t *XK_RESTRICT bias, void *XK_RESTRICT packed_out) {
  const size_t pairs = (k + 1) / 2;
  int32_t *bias_out = (int32_t *)packed_out;
  for (size_t n0 = 0; n0 < n; n0 += 8) {
    const size_t nc = n - n0 < 8 ? n - n0 : 8;
    for (size_t j = 0; j < 8; j++) bias_out[j] = (bias != NULL && j < nc) ? bias[n0 + j] : 0;
    int16_t *w = (int16_t *)(bias_out + 8);
    for (size_t p = 0; p < pairs; p++) {
      for (size_t j = 0; j < 8; j++) {
        for (size_t h = 0; h < 2; h++) {
          const size_t kk = 2 * p + h;
          int16_t v = 0;
          if (j < nc && kk < k) v = transposed ? b[(n0 + j) * ldb + kk] : b[kk * ldb + n0 + j];
          w[p * 16 + j * 2 + h] = v;
        }
      }
    }
    bias_out = (int32_t *)(w + pairs * 16);
  }
}

void XK_EXPORT(xk_qs8_widen_a)(size_t m, size_t k, const int8_t *XK_RESTRICT a, size_t lda, int16_t *XK_RESTRICT out) {
  const size_t padded = 2 * ((k + 1) / 2);
  for (size_t i = 0; i < m; i++)
    for (size_t p = 0; p < padded; p++) out[i * padded + p] = p < k ? a[i * lda + p] : 0;
}
