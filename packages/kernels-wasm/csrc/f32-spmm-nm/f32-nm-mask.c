/*
 * N:M top-k activation masking (Amber Pruner, arXiv 2508.02128): for every row of x [rows, k]
 * and every group of `group` consecutive elements, keep the `kept` elements with the largest
 * score |x_i| * s_i (s = per-input-channel scale, e.g. weight column norms; NULL = 1) and zero
 * the others, in place. Ties keep the lower index. group <= 64.
 */
#include "../common/xk-common.h"

void XK_EXPORT(xk_f32_nm_mask)(size_t rows, size_t k, size_t kept, size_t group, float *XK_RESTRICT x,
                               const float *XK_RESTRICT scale) {
  for (size_t r = 0; r < rows; r++) {
    float *row = x + r * k;
    for (size_t g0 = 0; g0 + group <= k; g0 += group) {
      uint64_t keep_mask = 0;
      for (size_t pick = 0; pick < kept; pick++) {
        size_t best = group;
        float best_score = -1.0f;
        for (size_t i = 0; i < group; i++) {
          if (keep_mask & ((uint64_t)1 << i)) continue;
          const float score = __builtin_fabsf(row[g0 + i]) * (scale == NULL ? 1.0f : scale[g0 + i]);
          if (best == group || score > best_score) {
            best = i;
            best_score = score;
          }
        }
        keep_mask |= (uint64_t)1 << best;
      }
      for (size_t i = 0; i < group; i++)
        if (!(keep_mask & ((uint64_t)1 << i))) row[g0 + i] = 0.0f;
    }
  }
}
