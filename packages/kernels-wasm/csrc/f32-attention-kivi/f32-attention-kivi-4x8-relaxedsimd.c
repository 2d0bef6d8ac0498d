/* KIVI decode attention, 4x8 tiles, relaxed-SIMD fused multiply-add. */
#define XK_RELAXED 1
#define XK_ATT_NAME xk_f32_attention_kivi_4x8_relaxedsimd
#include "f32-attention-kivi-4x8.inc"
