/* f32 GEMM, 4x8 tile, SIMD128 mul + add, loadsplat with load offset immediates. Instantiates f32-gemm-loadsplat-offsets.inc. */
#define XK_GEMM_NAME xk_f32_gemm_4x8_wasmsimd_loadsplat_offsets
#define XK_GEMM_MR 4
#include "f32-gemm-loadsplat-offsets.inc"
