/* f32 GEMM, 4x8 tile, relaxed-SIMD fused multiply-add (f32x4.relaxed_madd). */
#define XK_RELAXED 1
#define XK_GEMM_NAME xk_f32_gemm_4x8_relaxedsimd_splat
#include "f32-gemm-splat.inc"
