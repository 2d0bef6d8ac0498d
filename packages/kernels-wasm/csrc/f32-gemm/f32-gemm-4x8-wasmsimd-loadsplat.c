/* f32 GEMM, 4x8 tile, SIMD128 mul + add, loadsplat. Instantiates f32-gemm-loadsplat.inc. */
#define XK_GEMM_NAME xk_f32_gemm_4x8_wasmsimd_loadsplat
#define XK_GEMM_MR 4
#include "f32-gemm-loadsplat.inc"
