/* f32 GEMM, 4x8 tile, SIMD128 mul + add. Generated from f32-gemm-splat.inc by macro; do not fork. */
#define XK_GEMM_NAME xk_f32_gemm_4x8_wasmsimd_splat
#include "f32-gemm-splat.inc"
