/*
 * N:M sparse GEMV for one token at a time (decode): y[n] = bias[n] + sum over kept (value, index)
 * of value * x[g * group + index], a scalar gather (no vector gather exists in wasm SIMD128);
 * four independent accumulators. Same compressed format as f32-spmm-nm.inc; x is NOT transposed.
 */
#include "../common/xk-common.h"

void XK_EXPORT(xk_f32_spmm_nm_1_scalar)(size_t t, size_t n, size_t k, size_t kept, size_t group,
                                        const float *XK_RESTRICT x, const float *XK_RESTRICT values,
                                        const uint8_t *XK_RESTRICT indices, const float *XK_RESTRICT bias,
                                        float *XK_RESTRICT y, size_t ldy) {
  const size_t groups = k / group;
  const size_t per_row = groups * kept;
  for (size_t token = 0; token < t; token++) {
    const float *xt = x + token * k;
    for (size_t j = 0; j < n; j++) {
      const float *v = values + j * per_row;
      const uint8_t *index = indices + j * per_row;
      float s0 = bias == NULL ? 0.0f : bias[j], s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
      size_t e = 0;
      if (kept == 2) {
        /* 2:M fast path: two groups per step. */
        for (size_t g = 0; g + 2 <= groups; g += 2, e += 4) {
          const float *x0 = xt + g * group;
          const float *x1 = x0 + group;
          s0 += v[e] * x0[index[e]];
          s1 += v[e + 1] * x0[index[e + 1]];
          s2 += v[e + 2] * x1[index[e + 2]];
          s3 += v[e + 3] * x1[index[e + 3]];
        }
      }
      for (; e < per_row; e++) s0 += v[e] * xt[(e / kept) * group + index[e]];
      y[token * ldy + j] = (s0 + s1) + (s2 + s3);
    }
  }
}
