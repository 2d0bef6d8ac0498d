/* MatMulNBits 4-bit weight GEMM/GEMV, SIMD128 (i32x4.dot_i16x8_s). Instantiates qn-gemm.inc. */
#define XK_QN_NAME xk_qn_gemm_4bit_wasmsimd
#define XK_QN_BITS 4
#include "qn-gemm.inc"
