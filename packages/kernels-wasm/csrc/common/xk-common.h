/* Shared macros for every kernel: exports, restrict, SIMD header. Freestanding, no libc. */
#ifndef XK_COMMON_H
#define XK_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

/* Export a kernel under its own symbol name (one variant per file, name = file name). */
#define XK_STR_(x) #x
#define XK_STR(x) XK_STR_(x)
#define XK_EXPORT(name) __attribute__((export_name(XK_STR(name)))) name

#define XK_RESTRICT __restrict__
#define XK_INLINE static inline __attribute__((always_inline))

/* Multiply-add: f32x4 mul+add on SIMD128, fused relaxed_madd when XK_RELAXED is defined. */
#ifdef XK_RELAXED
#define XK_MADD(a, b, c) __builtin_wasm_relaxed_madd_f32x4((a), (b), (c))
#else
#define XK_MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif

/* Clang may lower copies/zero-fills to memcpy/memset calls; provide them (bulk-memory ops). */
void *memcpy(void *XK_RESTRICT dst, const void *XK_RESTRICT src, size_t n);
void *memset(void *dst, int c, size_t n);

#endif
