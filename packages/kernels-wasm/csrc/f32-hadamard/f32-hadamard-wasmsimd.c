/*
 * Normalized Walsh-Hadamard transform over rows: y = (H_K (x) H_p) x / sqrt(n), n = K * p,
 * p = 2^m (sparse-attn-kernels.md §10; QuaRot, arXiv 2404.00456, hadamard_utils). Each row is
 * viewed as a K x p row-major matrix; every length-p sub-row gets a fast Walsh-Hadamard transform
 * (Sylvester order, unnormalized butterflies (a, b) -> (a + b, a - b)); then, when K > 1, the K
 * sub-rows are mixed by the K x K +-1 matrix hk: y[r, :] = sum_c hk[r, c] z[c, :]. The 1/sqrt(n)
 * scale is applied once, in the first pass (K = 1) or in the mix (K > 1).
 *
 * SIMD plan: butterflies with h = 1 and h = 2 stay inside one v128 (shuffles + a sign multiply),
 * h >= 4 are whole-vector add/sub, two stages fused per pass (radix 4) to halve memory passes.
 * p < 4 runs a scalar path. scratch holds K * p floats (K > 1 only).
 */
#include "../common/xk-common.h"

static void xk_fwht_scalar(float *x, size_t p, float scale) {
  for (size_t h = 1; h < p; h <<= 1) {
    for (size_t i = 0; i < p; i += 2 * h) {
      for (size_t j = i; j < i + h; j++) {
        const float a = x[j];
        const float b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
  if (scale != 1.0f)
    for (size_t i = 0; i < p; i++) x[i] *= scale;
}

/* In-register stages h = 1, 2 for every vector of x (p >= 4), times scale. */
static void xk_fwht_inner4(float *x, size_t p, float scale) {
  const v128_t sign1 = wasm_f32x4_make(scale, -scale, scale, -scale);
  const v128_t scale_v = wasm_f32x4_splat(scale);
  const v128_t sign2 = wasm_f32x4_make(1.0f, 1.0f, -1.0f, -1.0f);
  for (size_t i = 0; i < p; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    /* h = 1: [a0 + a1, a0 - a1, a2 + a3, a2 - a3] */
    const v128_t even = wasm_i32x4_shuffle(v, v, 0, 0, 2, 2);
    const v128_t odd = wasm_i32x4_shuffle(v, v, 1, 1, 3, 3);
    const v128_t s1 = wasm_f32x4_add(wasm_f32x4_mul(even, scale_v), wasm_f32x4_mul(odd, sign1));
    /* h = 2: [b0 + b2, b1 + b3, b0 - b2, b1 - b3] */
    const v128_t low = wasm_i32x4_shuffle(s1, s1, 0, 1, 0, 1);
    const v128_t high = wasm_i32x4_shuffle(s1, s1, 2, 3, 2, 3);
    wasm_v128_store(x + i, wasm_f32x4_add(low, wasm_f32x4_mul(high, sign2)));
  }
}

/* Stages h and 2h fused (radix 4): for each group of 4h, quarters q0..q3. */
static void xk_fwht_radix4(float *x, size_t p, size_t h) {
  for (size_t i = 0; i < p; i += 4 * h) {
    float *q0 = x + i;
    float *q1 = q0 + h;
    float *q2 = q1 + h;
    float *q3 = q2 + h;
    for (size_t j = 0; j < h; j += 4) {
      const v128_t a = wasm_v128_load(q0 + j);
      const v128_t b = wasm_v128_load(q1 + j);
      const v128_t c = wasm_v128_load(q2 + j);
      const v128_t d = wasm_v128_load(q3 + j);
      const v128_t ab_sum = wasm_f32x4_add(a, b);
      const v128_t ab_diff = wasm_f32x4_sub(a, b);
      const v128_t cd_sum = wasm_f32x4_add(c, d);
      const v128_t cd_diff = wasm_f32x4_sub(c, d);
      wasm_v128_store(q0 + j, wasm_f32x4_add(ab_sum, cd_sum));
      wasm_v128_store(q1 + j, wasm_f32x4_add(ab_diff, cd_diff));
      wasm_v128_store(q2 + j, wasm_f32x4_sub(ab_sum, cd_sum));
      wasm_v128_store(q3 + j, wasm_f32x4_sub(ab_diff, cd_diff));
    }
  }
}

static void xk_fwht_radix2(float *x, size_t p, size_t h) {
  for (size_t i = 0; i < p; i += 2 * h) {
    for (size_t j = i; j < i + h; j += 4) {
      const v128_t a = wasm_v128_load(x + j);
      const v128_t b = wasm_v128_load(x + j + h);
      wasm_v128_store(x + j, wasm_f32x4_add(a, b));
      wasm_v128_store(x + j + h, wasm_f32x4_sub(a, b));
    }
  }
}

static void xk_fwht(float *x, size_t p, float scale) {
  if (p < 4) {
    xk_fwht_scalar(x, p, scale);
    return;
  }
  xk_fwht_inner4(x, p, scale);
  size_t h = 4;
  for (; 4 * h <= p; h *= 4) xk_fwht_radix4(x, p, h);
  if (h < p) xk_fwht_radix2(x, p, h);
}

/* y[r, :] = scale * sum_c hk[r, c] z[c, :], z = x (K x p), y -> scratch, then copied back. */
static void xk_hadamard_mix(float *x, size_t k, size_t p, const float *hk, float scale, float *scratch) {
  if (p < 4) {
    for (size_t r = 0; r < k; r++) {
      for (size_t t = 0; t < p; t++) {
        float sum = 0.0f;
        for (size_t c = 0; c < k; c++) sum += hk[r * k + c] * x[c * p + t];
        scratch[r * p + t] = sum * scale;
      }
    }
  } else {
    const v128_t scale_v = wasm_f32x4_splat(scale);
    for (size_t r = 0; r < k; r++) {
      const float *h_row = hk + r * k;
      size_t t = 0;
      for (; t + 16 <= p; t += 16) {
        v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (size_t c = 0; c < k; c++) {
          const v128_t h = wasm_v128_load32_splat(h_row + c);
          const float *z = x + c * p + t;
          a0 = XK_MADD(h, wasm_v128_load(z), a0);
          a1 = XK_MADD(h, wasm_v128_load(z + 4), a1);
          a2 = XK_MADD(h, wasm_v128_load(z + 8), a2);
          a3 = XK_MADD(h, wasm_v128_load(z + 12), a3);
        }
        float *y = scratch + r * p + t;
        wasm_v128_store(y, wasm_f32x4_mul(a0, scale_v));
        wasm_v128_store(y + 4, wasm_f32x4_mul(a1, scale_v));
        wasm_v128_store(y + 8, wasm_f32x4_mul(a2, scale_v));
        wasm_v128_store(y + 12, wasm_f32x4_mul(a3, scale_v));
      }
      for (; t < p; t += 4) {
        v128_t a0 = wasm_f32x4_splat(0.0f);
        for (size_t c = 0; c < k; c++) a0 = XK_MADD(wasm_v128_load32_splat(h_row + c), wasm_v128_load(x + c * p + t), a0);
        wasm_v128_store(scratch + r * p + t, wasm_f32x4_mul(a0, scale_v));
      }
    }
  }
  for (size_t i = 0; i < k * p; i++) x[i] = scratch[i];
}

void XK_EXPORT(xk_f32_hadamard_wasmsimd)(size_t rows, size_t k, size_t p, float *XK_RESTRICT x, size_t ldx,
                                         const float *XK_RESTRICT hk, float scale, float *XK_RESTRICT scratch) {
  for (size_t row = 0; row < rows; row++) {
    float *r = x + row * ldx;
    if (k == 1) {
      xk_fwht(r, p, scale);
      continue;
    }
    for (size_t c = 0; c < k; c++) xk_fwht(r + c * p, p, 1.0f);
    xk_hadamard_mix(r, k, p, hk, scale, scratch);
  }
}
