/* f32 GEMM, 4x8 tile, relaxed-SIMD FMA, loadsplat. Instantiates f32-gemm-loadsplat.inc. */
#define XK_RELAXED 1
#define XK_GEMM_NAME xk_f32_gemm_4x8_relaxedsimd_loadsplat
#define XK_GEMM_MR 4
#include "f32-gemm-loadsplat.inc"
