/*
 * The shared engine of every f32 attention kernel: FlashAttention-2 online softmax over key tiles
 * (Dao, "FlashAttention-2", arXiv 2307.08691, Algorithm 1; the block-sparse form is the brief's
 * shared/reference/sparse-attn-kernels.md section 8):
 *
 *   S  = (Q_i K_j^T) * (scale * log2 e)        scores in the log2 domain, plus bias * log2 e
 *   m' = max(m, rowmax(S));  a = 2^(m - m');  P = 2^(S - m')
 *   l  = a * l + rowsum(P);  O = a * O + P V_j;  m = m'          and finally O / l
 *
 * Rows are processed 4 at a time (the XNNPACK 4x8 "splat" tile: 8 v128 accumulators, fits the 16
 * XMM registers V8 has on x86-64). Keys are processed in tiles of at most XK_ATT_TILE keys. For a
 * block of up to XK_ATT_ROWS rows, each tile of K is packed once as a K^T panel [dp][tile width] so the
 * score micro-kernel streams 8 contiguous keys per channel; a single 4-row block (decode) reads K
 * rows in place with a 2x4 dot-product kernel instead. V is read in place (rows of dp floats).
 *
 * Conventions: dp (padded head dim) is a multiple of 8; callers zero-pad q/k/v channels. A masked
 * score is -inf and contributes exactly 0 (exp2 of anything below -126 is flushed to 0). A row that
 * sees no key keeps l = 0 and gets output 0.
 */
#ifndef XK_F32_ATTENTION_ENGINE_H
#define XK_F32_ATTENTION_ENGINE_H

#include "../common/xk-common.h"

#define XK_ATT_MR 4
/* Rows that share one packed K tile (a "row block"). */
#define XK_ATT_ROWS 64
/* Keys per tile, at most; fewer for a large head dim so that the K^T panel fits its buffer. */
#define XK_ATT_TILE 64
#define XK_ATT_PANEL_FLOATS 16384
/* Largest padded head dim (a K^T panel of 8 keys must fit XK_ATT_PANEL_FLOATS). */
#define XK_ATT_MAX_DP 2048
#define XK_ATT_LOG2E 1.4426950408889634f
#define XK_ATT_NO_LIMIT 0x7fffffff

/* One row of a row block: where its query, output, bias and mask rows live, and its causal limit
 * (the last key index it may see, in the same index space as the key tiles). */
typedef struct {
  const float *q;
  float *o;
  const float *bias;   /* bias[j] for key j, or NULL */
  const uint8_t *mask; /* mask[j] != 0: key j visible, or NULL */
  int32_t limit;       /* keys j > limit are masked (causal); XK_ATT_NO_LIMIT when none */
  float m;             /* running max, log2 domain */
  float l;             /* running sum */
} xk_att_row;

/* Scratch (from the caller, 16-byte aligned): the K^T panel, then 4 spare output rows of dp floats,
 * then (KIVI only) a value tile of 32 rows of dp floats. No static buffers: calls are re-entrant. */
#define XK_ATT_SCRATCH_FLOATS(dp) (XK_ATT_PANEL_FLOATS + 4 * (dp))

/* 2^x for a vector: x = n + f with n = nearest(x), f in [-0.5, 0.5]; 2^f by its degree-6 Taylor
 * polynomial (truncation error below 2e-7 relative, about 1.5 float ulps); 2^n built in the exponent bits. Lanes below
 * -126 (including -inf) give exactly 0. */
XK_INLINE v128_t xk_att_exp2(v128_t x) {
  const v128_t lo = wasm_f32x4_splat(-126.0f);
  const v128_t under = wasm_f32x4_lt(x, lo);
  x = wasm_f32x4_max(x, lo);
  x = wasm_f32x4_min(x, wasm_f32x4_splat(127.0f));
  const v128_t n = wasm_f32x4_nearest(x);
  const v128_t f = wasm_f32x4_sub(x, n);
  v128_t p = wasm_f32x4_splat(1.5403530393381606e-4f);
  p = XK_MADD(p, f, wasm_f32x4_splat(1.3333558146428443e-3f));
  p = XK_MADD(p, f, wasm_f32x4_splat(9.6181291076284772e-3f));
  p = XK_MADD(p, f, wasm_f32x4_splat(5.5504108664821580e-2f));
  p = XK_MADD(p, f, wasm_f32x4_splat(2.4022650695910071e-1f));
  p = XK_MADD(p, f, wasm_f32x4_splat(6.9314718055994531e-1f));
  p = XK_MADD(p, f, wasm_f32x4_splat(1.0f));
  const v128_t bits = wasm_i32x4_shl(wasm_i32x4_trunc_sat_f32x4(n), 23);
  const v128_t r = wasm_i32x4_add(p, bits);
  return wasm_v128_andnot(r, under);
}

XK_INLINE float xk_att_exp2_scalar(float x) {
  return wasm_f32x4_extract_lane(xk_att_exp2(wasm_f32x4_splat(x)), 0);
}

/* Packs keys [0, nk) of k (rows of dp floats, dp a multiple of 8) as K^T: panel[c * width + j];
 * keys nk..width-1 are 0. 4x4 blocks are transposed in registers. */
XK_INLINE void xk_att_pack_kt(const float *XK_RESTRICT k, int nk, int width, int dp, float *XK_RESTRICT panel) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int j = 0; j < width; j += 4) {
    const float *r0 = k + (size_t)j * dp;
    const float *r1 = r0 + dp;
    const float *r2 = r1 + dp;
    const float *r3 = r2 + dp;
    const int live = nk - j;
    for (int c = 0; c < dp; c += 4) {
      const v128_t a = live > 0 ? wasm_v128_load(r0 + c) : zero;
      const v128_t b = live > 1 ? wasm_v128_load(r1 + c) : zero;
      const v128_t e = live > 2 ? wasm_v128_load(r2 + c) : zero;
      const v128_t f = live > 3 ? wasm_v128_load(r3 + c) : zero;
      const v128_t ab_lo = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5);
      const v128_t ab_hi = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
      const v128_t ef_lo = wasm_i32x4_shuffle(e, f, 0, 4, 1, 5);
      const v128_t ef_hi = wasm_i32x4_shuffle(e, f, 2, 6, 3, 7);
      float *out = panel + (size_t)c * width + j;
      wasm_v128_store(out, wasm_i64x2_shuffle(ab_lo, ef_lo, 0, 2));
      wasm_v128_store(out + width, wasm_i64x2_shuffle(ab_lo, ef_lo, 1, 3));
      wasm_v128_store(out + 2 * width, wasm_i64x2_shuffle(ab_hi, ef_hi, 0, 2));
      wasm_v128_store(out + 3 * width, wasm_i64x2_shuffle(ab_hi, ef_hi, 1, 3));
    }
  }
}

/* Sum of each of 4 vectors, as one vector: [sum(a), sum(b), sum(c), sum(d)]. */
XK_INLINE v128_t xk_att_reduce4(v128_t a, v128_t b, v128_t c, v128_t d) {
  const v128_t ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  const v128_t cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i64x2_shuffle(ab, cd, 0, 2), wasm_i64x2_shuffle(ab, cd, 1, 3));
}

/* Scores of 2 rows against 4 row-major keys k0..k3 (no packing): the decode path, where a packed
 * panel would be used by a single row block. */
XK_INLINE void xk_att_scores_direct_2x4(const float *q0, const float *q1, const float *k0, const float *k1,
                                        const float *k2, const float *k3, int dp, float *s0, float *s1) {
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  for (int c = 0; c < dp; c += 4) {
    const v128_t x = wasm_v128_load(q0 + c);
    const v128_t y = wasm_v128_load(q1 + c);
    const v128_t w0 = wasm_v128_load(k0 + c);
    const v128_t w1 = wasm_v128_load(k1 + c);
    const v128_t w2 = wasm_v128_load(k2 + c);
    const v128_t w3 = wasm_v128_load(k3 + c);
    a0 = XK_MADD(x, w0, a0);
    a1 = XK_MADD(x, w1, a1);
    a2 = XK_MADD(x, w2, a2);
    a3 = XK_MADD(x, w3, a3);
    b0 = XK_MADD(y, w0, b0);
    b1 = XK_MADD(y, w1, b1);
    b2 = XK_MADD(y, w2, b2);
    b3 = XK_MADD(y, w3, b3);
  }
  wasm_v128_store(s0, xk_att_reduce4(a0, a1, a2, a3));
  wasm_v128_store(s1, xk_att_reduce4(b0, b1, b2, b3));
}

/* s[r][j0 .. j0+7] = q_r . K^T[:, j0 .. j0+7] for 4 rows (rows past the block alias row 0). */
XK_INLINE void xk_att_scores_4x8(const float *q0, const float *q1, const float *q2, const float *q3,
                                 const float *XK_RESTRICT panel, int width, int dp, float *s0, float *s1,
                                 float *s2, float *s3) {
  v128_t a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00;
  v128_t a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  for (int c = 0; c < dp; c++) {
    const float *b = panel + c * width;
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
    const v128_t x0 = wasm_v128_load32_splat(q0 + c);
    const v128_t x1 = wasm_v128_load32_splat(q1 + c);
    const v128_t x2 = wasm_v128_load32_splat(q2 + c);
    const v128_t x3 = wasm_v128_load32_splat(q3 + c);
    a00 = XK_MADD(x0, b0, a00);
    a01 = XK_MADD(x0, b1, a01);
    a10 = XK_MADD(x1, b0, a10);
    a11 = XK_MADD(x1, b1, a11);
    a20 = XK_MADD(x2, b0, a20);
    a21 = XK_MADD(x2, b1, a21);
    a30 = XK_MADD(x3, b0, a30);
    a31 = XK_MADD(x3, b1, a31);
  }
  wasm_v128_store(s0, a00);
  wasm_v128_store(s0 + 4, a01);
  wasm_v128_store(s1, a10);
  wasm_v128_store(s1 + 4, a11);
  wasm_v128_store(s2, a20);
  wasm_v128_store(s2 + 4, a21);
  wasm_v128_store(s3, a30);
  wasm_v128_store(s3 + 4, a31);
}

/* o_r[c0..c0+7] = alpha_r * o_r + sum_j p_r[j] * v[j][c0..c0+7], for all c0, 4 rows. */
XK_INLINE void xk_att_pv_4x8(const float *p0, const float *p1, const float *p2, const float *p3,
                             const float *XK_RESTRICT v, int nk, int dp, float *o0, float *o1, float *o2,
                             float *o3, v128_t alpha) {
  const v128_t al0 = wasm_i32x4_shuffle(alpha, alpha, 0, 0, 0, 0);
  const v128_t al1 = wasm_i32x4_shuffle(alpha, alpha, 1, 1, 1, 1);
  const v128_t al2 = wasm_i32x4_shuffle(alpha, alpha, 2, 2, 2, 2);
  const v128_t al3 = wasm_i32x4_shuffle(alpha, alpha, 3, 3, 3, 3);
  for (int c0 = 0; c0 < dp; c0 += 8) {
    v128_t a00 = wasm_f32x4_mul(al0, wasm_v128_load(o0 + c0));
    v128_t a01 = wasm_f32x4_mul(al0, wasm_v128_load(o0 + c0 + 4));
    v128_t a10 = wasm_f32x4_mul(al1, wasm_v128_load(o1 + c0));
    v128_t a11 = wasm_f32x4_mul(al1, wasm_v128_load(o1 + c0 + 4));
    v128_t a20 = wasm_f32x4_mul(al2, wasm_v128_load(o2 + c0));
    v128_t a21 = wasm_f32x4_mul(al2, wasm_v128_load(o2 + c0 + 4));
    v128_t a30 = wasm_f32x4_mul(al3, wasm_v128_load(o3 + c0));
    v128_t a31 = wasm_f32x4_mul(al3, wasm_v128_load(o3 + c0 + 4));
    const float *vc = v + c0;
    for (int j = 0; j < nk; j++) {
      const v128_t b0 = wasm_v128_load(vc);
      const v128_t b1 = wasm_v128_load(vc + 4);
      vc += dp;
      const v128_t x0 = wasm_v128_load32_splat(p0 + j);
      const v128_t x1 = wasm_v128_load32_splat(p1 + j);
      const v128_t x2 = wasm_v128_load32_splat(p2 + j);
      const v128_t x3 = wasm_v128_load32_splat(p3 + j);
      a00 = XK_MADD(x0, b0, a00);
      a01 = XK_MADD(x0, b1, a01);
      a10 = XK_MADD(x1, b0, a10);
      a11 = XK_MADD(x1, b1, a11);
      a20 = XK_MADD(x2, b0, a20);
      a21 = XK_MADD(x2, b1, a21);
      a30 = XK_MADD(x3, b0, a30);
      a31 = XK_MADD(x3, b1, a31);
    }
    wasm_v128_store(o0 + c0, a00);
    wasm_v128_store(o0 + c0 + 4, a01);
    wasm_v128_store(o1 + c0, a10);
    wasm_v128_store(o1 + c0 + 4, a11);
    wasm_v128_store(o2 + c0, a20);
    wasm_v128_store(o2 + c0 + 4, a21);
    wasm_v128_store(o3 + c0, a30);
    wasm_v128_store(o3 + c0 + 4, a31);
  }
}

/* Turns raw scores of one row into probabilities against the updated running max, in place.
 * key0: absolute index of the tile's first key (for limit, bias and mask). Returns alpha. */
XK_INLINE float xk_att_softmax_row(xk_att_row *row, float *s, int nk, int width, int key0, float scale2) {
  int visible = nk;
  if (row->limit != XK_ATT_NO_LIMIT) {
    const int last = row->limit - key0 + 1;
    if (last < visible) visible = last < 0 ? 0 : last;
  }
  const v128_t vscale = wasm_f32x4_splat(scale2);
  const v128_t vlog2e = wasm_f32x4_splat(XK_ATT_LOG2E);
  const v128_t ninf = wasm_f32x4_splat(-__builtin_inff());
  v128_t vmax = ninf;
  for (int j = 0; j < width; j += 4) {
    v128_t x = wasm_f32x4_mul(wasm_v128_load(s + j), vscale);
    if (row->bias) {
      /* Only lanes below nk may read the bias row; later lanes are masked below. */
      if (j + 4 <= nk) {
        x = XK_MADD(wasm_v128_load(row->bias + key0 + j), vlog2e, x);
      } else {
        float tmp[4] __attribute__((aligned(16))) = {0, 0, 0, 0};
        for (int t = 0; j + t < nk; t++) tmp[t] = row->bias[key0 + j + t];
        x = XK_MADD(wasm_v128_load(tmp), vlog2e, x);
      }
    }
    const v128_t lane = wasm_i32x4_add(wasm_i32x4_splat(j), wasm_i32x4_make(0, 1, 2, 3));
    v128_t keep = wasm_i32x4_lt(lane, wasm_i32x4_splat(visible));
    if (row->mask) {
      int32_t mk[4] __attribute__((aligned(16))) = {0, 0, 0, 0};
      for (int t = 0; t < 4 && j + t < nk; t++) mk[t] = row->mask[key0 + j + t] ? -1 : 0;
      keep = wasm_v128_and(keep, wasm_v128_load(mk));
    }
    x = wasm_v128_bitselect(x, ninf, keep);
    wasm_v128_store(s + j, x);
    vmax = wasm_f32x4_max(vmax, x);
  }
  vmax = wasm_f32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 2, 3, 0, 1));
  vmax = wasm_f32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 1, 0, 3, 2));
  const float tile_max = wasm_f32x4_extract_lane(vmax, 0);
  const float m_old = row->m;
  const float m_new = tile_max > m_old ? tile_max : m_old;
  if (m_new == -__builtin_inff()) {
    /* Nothing visible yet: probabilities 0, state unchanged. */
    for (int j = 0; j < width; j += 4) wasm_v128_store(s + j, wasm_f32x4_splat(0.0f));
    return 1.0f;
  }
  const v128_t vm = wasm_f32x4_splat(m_new);
  v128_t vsum = wasm_f32x4_splat(0.0f);
  for (int j = 0; j < width; j += 4) {
    const v128_t p = xk_att_exp2(wasm_f32x4_sub(wasm_v128_load(s + j), vm));
    wasm_v128_store(s + j, p);
    vsum = wasm_f32x4_add(vsum, p);
  }
  vsum = wasm_f32x4_add(vsum, wasm_i32x4_shuffle(vsum, vsum, 2, 3, 0, 1));
  vsum = wasm_f32x4_add(vsum, wasm_i32x4_shuffle(vsum, vsum, 1, 0, 3, 2));
  const float alpha = xk_att_exp2_scalar(m_old - m_new);
  row->l = alpha * row->l + wasm_f32x4_extract_lane(vsum, 0);
  row->m = m_new;
  return alpha;
}

/* Softmax update and P V for one block of mr <= 4 rows whose raw scores are in s[0..mr). */
XK_INLINE void xk_att_block_update(xk_att_row *rr, int mr, float (*s)[XK_ATT_TILE], int nk, int width,
                                   const float *XK_RESTRICT v, int key0, int dp, float scale2, float *spare) {
  float alpha[4] __attribute__((aligned(16))) = {1.0f, 1.0f, 1.0f, 1.0f};
  for (int r = 0; r < mr; r++) alpha[r] = xk_att_softmax_row(&rr[r], s[r], nk, width, key0, scale2);
  for (int r = mr; r < XK_ATT_MR; r++)
    for (int j = 0; j < width; j++) s[r][j] = 0.0f;
  /* Rows past the block get zero weights and alpha 1; they write into spare rows, never into a
   * live output row (their stale store would land after the live row's own store). */
  float *o1 = mr > 1 ? rr[1].o : spare + dp;
  float *o2 = mr > 2 ? rr[2].o : spare + 2 * dp;
  float *o3 = mr > 3 ? rr[3].o : spare + 3 * dp;
  xk_att_pv_4x8(s[0], s[1], s[2], s[3], v, nk, dp, rr[0].o, o1, o2, o3, wasm_v128_load(alpha));
}

XK_INLINE int xk_att_block_limit(const xk_att_row *rr, int mr) {
  int limit = -1;
  for (int r = 0; r < mr; r++)
    if (rr[r].limit > limit) limit = rr[r].limit;
  return limit;
}

/* Runs rows[0..nrows) over one prepared tile: panel = K^T [dp][width] of keys key0 .. key0+nk-1,
 * v = their value rows (dp floats each). Row blocks whose causal limit ends before key0 are skipped. */
__attribute__((unused)) static void xk_att_rows_tile(xk_att_row *rows, int nrows, const float *XK_RESTRICT panel,
                                                     int width, int nk, const float *XK_RESTRICT v, int key0, int dp,
                                                     float scale2, float *spare) {
  float s[XK_ATT_MR][XK_ATT_TILE] __attribute__((aligned(16)));
  for (int r0 = 0; r0 < nrows; r0 += XK_ATT_MR) {
    const int mr = nrows - r0 < XK_ATT_MR ? nrows - r0 : XK_ATT_MR;
    xk_att_row *rr = rows + r0;
    if (key0 > xk_att_block_limit(rr, mr)) continue;
    const float *q1 = mr > 1 ? rr[1].q : rr[0].q;
    const float *q2 = mr > 2 ? rr[2].q : rr[0].q;
    const float *q3 = mr > 3 ? rr[3].q : rr[0].q;
    for (int j0 = 0; j0 < width; j0 += 8)
      xk_att_scores_4x8(rr[0].q, q1, q2, q3, panel + j0, width, dp, s[0] + j0, s[1] + j0, s[2] + j0, s[3] + j0);
    xk_att_block_update(rr, mr, s, nk, width, v, key0, dp, scale2, spare);
  }
}

/* Runs rows[0..nrows) (nrows <= XK_ATT_ROWS) over keys [key_begin, key_end) of k/v (rows of dp
 * floats, k and v point at key index 0). With more than one row block, each tile of K is packed
 * once as K^T for all of them; a single row block (decode) reads K rows in place instead. */
__attribute__((unused)) static void xk_att_rows_over_keys(xk_att_row *rows, int nrows, const float *k,
                                                          const float *v, int key_begin, int key_end, int dp,
                                                          float scale2, float *scratch) {
  float *panel = scratch;
  float *spare = scratch + XK_ATT_PANEL_FLOATS;
  int tile = XK_ATT_TILE;
  while (tile > 8 && tile * dp > XK_ATT_PANEL_FLOATS) tile -= 8;
  const int max_limit = xk_att_block_limit(rows, nrows);
  float s[XK_ATT_MR][XK_ATT_TILE] __attribute__((aligned(16)));
  for (int t = key_begin; t < key_end; t += tile) {
    if (t > max_limit) break;
    const int nk = key_end - t < tile ? key_end - t : tile;
    const int width = (nk + 7) & ~7;
    const float *kt = k + (size_t)t * dp;
    if (nrows <= XK_ATT_MR) {
      const float *q1 = nrows > 1 ? rows[1].q : rows[0].q;
      const float *q2 = nrows > 2 ? rows[2].q : rows[0].q;
      const float *q3 = nrows > 3 ? rows[3].q : rows[0].q;
      for (int j0 = 0; j0 < width; j0 += 4) {
        /* Keys past nk alias the last key: their scores are masked in the softmax. */
        const float *k0 = kt + (size_t)(j0 < nk ? j0 : nk - 1) * dp;
        const float *k1 = kt + (size_t)(j0 + 1 < nk ? j0 + 1 : nk - 1) * dp;
        const float *k2 = kt + (size_t)(j0 + 2 < nk ? j0 + 2 : nk - 1) * dp;
        const float *k3 = kt + (size_t)(j0 + 3 < nk ? j0 + 3 : nk - 1) * dp;
        xk_att_scores_direct_2x4(rows[0].q, q1, k0, k1, k2, k3, dp, s[0] + j0, s[1] + j0);
        if (nrows > 2) xk_att_scores_direct_2x4(q2, q3, k0, k1, k2, k3, dp, s[2] + j0, s[3] + j0);
      }
      xk_att_block_update(rows, nrows, s, nk, width, v + (size_t)t * dp, t, dp, scale2, spare);
      continue;
    }
    xk_att_pack_kt(kt, nk, width, dp, panel);
    xk_att_rows_tile(rows, nrows, panel, width, nk, v + (size_t)t * dp, t, dp, scale2, spare);
  }
}

/* O_r /= l_r (0 where the row saw nothing). */
__attribute__((unused)) static void xk_att_finish_rows(xk_att_row *rows, int nrows, int dp) {
  for (int r = 0; r < nrows; r++) {
    const float inv = rows[r].l > 0.0f ? 1.0f / rows[r].l : 0.0f;
    const v128_t vi = wasm_f32x4_splat(inv);
    float *o = rows[r].o;
    for (int c = 0; c < dp; c += 4) wasm_v128_store(o + c, wasm_f32x4_mul(wasm_v128_load(o + c), vi));
  }
}

/* Starts a row: zero output, empty softmax state. */
XK_INLINE void xk_att_row_init(xk_att_row *row, const float *q, float *o, int dp) {
  row->q = q;
  row->o = o;
  row->bias = 0;
  row->mask = 0;
  row->limit = XK_ATT_NO_LIMIT;
  row->m = -__builtin_inff();
  row->l = 0.0f;
  for (int c = 0; c < dp; c += 4) wasm_v128_store(o + c, wasm_f32x4_splat(0.0f));
}

#endif
