/* N:M sparse GEMM, token blocks of 4 (decode / few tokens). Instantiates f32-spmm-nm.inc. */
#define XK_NM_NAME xk_f32_spmm_nm_4_wasmsimd
#define XK_NM_TRANSPOSE_NAME xk_f32_spmm_nm_transpose_4
#define XK_NM_TB 4
#include "f32-spmm-nm.inc"
