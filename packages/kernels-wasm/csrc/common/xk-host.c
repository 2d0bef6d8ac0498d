/*
 * Host probe used to pick GEMM variants, as XNNPACK does (src/configs/hardware-config.c):
 * x86 produces a default NaN with the sign bit set for inf - inf, ARM a positive one. Returns 1 on
 * x86-like hosts. `volatile` keeps the subtraction at run time (no constant folding).
 */
#include "xk-common.h"

int XK_EXPORT(xk_host_is_x86)(void) {
  volatile float infinity = __builtin_inff();
  const float nan = infinity - infinity;
  union {
    float f;
    uint32_t u;
  } bits = {nan};
  return (int)(bits.u >> 31);
}
