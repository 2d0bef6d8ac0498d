/* N:M sparse GEMM, token blocks of 16 (prefill). Instantiates f32-spmm-nm.inc. */
#define XK_NM_NAME xk_f32_spmm_nm_16_wasmsimd
#define XK_NM_TRANSPOSE_NAME xk_f32_spmm_nm_transpose_16
#define XK_NM_TB 16
#include "f32-spmm-nm.inc"
