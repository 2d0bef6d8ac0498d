/*
 * Packs B for the f32 GEMM micro-kernels (XNNPACK "GOI" packing with kr = sr = 1, see
 * shared/reference/sparse-attn-kernels.md §9.1): for each panel of 8 output columns, 8 bias floats
 * (zeros when bias is NULL), then for every k the 8 weights B[k, n0..n0+7]; the N tail is
 * zero-padded. Packed size: ceil(n / 8) * (8 + 8 k) floats.
 *
 * b is [k, n] row-major with row stride ldb (ONNX MatMul layout) when transposed == 0, or
 * [n, k] with row stride ldb (a Linear layer's weight) when transposed != 0.
 */
#include "../common/xk-common.h"

void XK_EXPORT(xk_f32_gemm_pack)(size_t k, size_t n, const float *XK_RESTRICT b, size_t ldb, int transposed,
                                 const float *XK_RESTRICT bias, float *XK_RESTRICT packed) {
  for (size_t n0 = 0; n0 < n; n0 += 8) {
    const size_t nc = n - n0 < 8 ? n - n0 : 8;
    for (size_t j = 0; j < 8; j++) packed[j] = (bias != NULL && j < nc) ? bias[n0 + j] : 0.0f;
    packed += 8;
    for (size_t kk = 0; kk < k; kk++) {
      for (size_t j = 0; j < 8; j++) {
        float v = 0.0f;
        if (j < nc) v = transposed ? b[(n0 + j) * ldb + kk] : b[kk * ldb + n0 + j];
        packed[j] = v;
      }
      packed += 8;
    }
  }
}
