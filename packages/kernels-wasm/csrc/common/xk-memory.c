/* memcpy / memset for the freestanding build: the compiler emits calls to them for struct
 * copies and zero-fills. With -mbulk-memory these builtins lower to memory.copy / memory.fill. */
#include "xk-common.h"

void *memcpy(void *XK_RESTRICT dst, const void *XK_RESTRICT src, size_t n) {
  __builtin_memcpy(dst, src, n);
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}
