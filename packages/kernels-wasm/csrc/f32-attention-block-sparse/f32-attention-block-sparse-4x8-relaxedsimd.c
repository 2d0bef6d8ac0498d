/* Block-sparse attention, 4x8 tiles, relaxed-SIMD fused multiply-add. */
#define XK_RELAXED 1
#define XK_ATT_NAME xk_f32_attention_block_sparse_4x8_relaxedsimd
#include "f32-attention-block-sparse-4x8.inc"
