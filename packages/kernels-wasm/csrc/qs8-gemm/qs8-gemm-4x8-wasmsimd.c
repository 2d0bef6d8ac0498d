/*
 * int8 x int8 -> int32 GEMM (W8A8), C[m, n] = sum_k A[m, k] B[k, n] + bias[n], exact int32
 * accumulation. 4 x 8 register tile: per k-pair, each row's (a[2p], a[2p+1]) is one 32-bit
 * load-splat, the two packed B vectors hold (b[2p, j], b[2p+1, j]) for 8 columns, and
 * i32x4.dot_i16x8_s adds both products per column (sparse-attn-kernels.md §9.2, SIMD128
 * deterministic path). Rows past the last full tile use a 1 x 8 tile.
 * Overflow: |sum| <= k * 128 * 128 + |bias|, exact for k < 131072.
 */
#include "../common/xk-common.h"

XK_INLINE void xk_store_i32x8(int32_t *c, v128_t lo, v128_t hi, size_t nc) {
  if (nc == 8) {
    wasm_v128_store(c, lo);
    wasm_v128_store(c + 4, hi);
    return;
  }
  int32_t tmp[8];
  wasm_v128_store(tmp, lo);
  wasm_v128_store(tmp + 4, hi);
  for (size_t j = 0; j < nc; j++) c[j] = tmp[j];
}

void XK_EXPORT(xk_qs8_gemm_4x8_wasmsimd)(size_t m, size_t n, size_t k, const int16_t *XK_RESTRICT a, size_t lda,
                                         const void *XK_RESTRICT packed, int32_t *XK_RESTRICT c, size_t ldc) {
  const size_t pairs = (k + 1) / 2;
  const size_t panel_bytes = 8 * 4 + pairs * 16 * 2;
  for (size_t n0 = 0; n0 < n; n0 += 8) {
    const size_t nc = n - n0 < 8 ? n - n0 : 8;
    const uint8_t *panel = (const uint8_t *)packed + (n0 / 8) * panel_bytes;
    const v128_t bias_lo = wasm_v128_load(panel);
    const v128_t bias_hi = wasm_v128_load(panel + 16);
    const int16_t *w0 = (const int16_t *)(panel + 32);
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
      const int16_t *a0 = a + i * lda;
      const int16_t *a1 = a0 + lda;
      const int16_t *a2 = a1 + lda;
      const int16_t *a3 = a2 + lda;
      v128_t c0l = bias_lo, c0h = bias_hi, c1l = bias_lo, c1h = bias_hi;
      v128_t c2l = bias_lo, c2h = bias_hi, c3l = bias_lo, c3h = bias_hi;
      const int16_t *w = w0;
      for (size_t p = 0; p < pairs; p++) {
        const v128_t bl = wasm_v128_load(w);
        const v128_t bh = wasm_v128_load(w + 8);
        w += 16;
        const v128_t x0 = wasm_v128_load32_splat(a0 + 2 * p);
        const v128_t x1 = wasm_v128_load32_splat(a1 + 2 * p);
        const v128_t x2 = wasm_v128_load32_splat(a2 + 2 * p);
        const v128_t x3 = wasm_v128_load32_splat(a3 + 2 * p);
        c0l = wasm_i32x4_add(c0l, wasm_i32x4_dot_i16x8(x0, bl));
        c0h = wasm_i32x4_add(c0h, wasm_i32x4_dot_i16x8(x0, bh));
        c1l = wasm_i32x4_add(c1l, wasm_i32x4_dot_i16x8(x1, bl));
        c1h = wasm_i32x4_add(c1h, wasm_i32x4_dot_i16x8(x1, bh));
        c2l = wasm_i32x4_add(c2l, wasm_i32x4_dot_i16x8(x2, bl));
        c2h = wasm_i32x4_add(c2h, wasm_i32x4_dot_i16x8(x2, bh));
        c3l = wasm_i32x4_add(c3l, wasm_i32x4_dot_i16x8(x3, bl));
        c3h = wasm_i32x4_add(c3h, wasm_i32x4_dot_i16x8(x3, bh));
      }
      xk_store_i32x8(c + i * ldc + n0, c0l, c0h, nc);
      xk_store_i32x8(c + (i + 1) * ldc + n0, c1l, c1h, nc);
      xk_store_i32x8(c + (i + 2) * ldc + n0, c2l, c2h, nc);
      xk_store_i32x8(c + (i + 3) * ldc + n0, c3l, c3h, nc);
    }
    for (; i < m; i++) {
      const int16_t *a0 = a + i * lda;
      v128_t cl = bias_lo, ch = bias_hi;
      const int16_t *w = w0;
      for (size_t p = 0; p < pairs; p++) {
        const v128_t x0 = wasm_v128_load32_splat(a0 + 2 * p);
        cl = wasm_i32x4_add(cl, wasm_i32x4_dot_i16x8(x0, wasm_v128_load(w)));
        ch = wasm_i32x4_add(ch, wasm_i32x4_dot_i16x8(x0, wasm_v128_load(w + 8)));
        w += 16;
      }
      xk_store_i32x8(c + i * ldc + n0, cl, ch, nc);
    }
  }
}
