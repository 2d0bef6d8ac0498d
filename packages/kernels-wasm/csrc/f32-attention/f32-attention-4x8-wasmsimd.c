/* Dense / masked / ragged attention, 4x8 tiles, SIMD128 mul + add. */
#define XK_ATT_NAME xk_f32_attention_4x8_wasmsimd
#include "f32-attention-4x8.inc"
