/**
 * Small dense kernels over row-major Float64Array matrices: the plain loops every numeric core here
 * uses. Kept i-k-j ordered so the inner loop is contiguous.
 */
import type { FloatArray } from '../types';

/** C = A B with A [m, k], B [k, n]. */
export function multiply(a: FloatArray, b: FloatArray, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
    }
  }
  return c;
}

/** C = Aᵀ B with A [k, m], B [k, n]. */
export function multiplyTransposeA(
  a: FloatArray,
  b: FloatArray,
  k: number,
  m: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let p = 0; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[ap + i];
      if (api === 0) continue;
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j] += api * b[bp + j];
    }
  }
  return c;
}

/** C = A Bᵀ with A [m, k], B [n, k]. */
export function multiplyTransposeB(
  a: FloatArray,
  b: FloatArray,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Aᵀ for A [m, n]. */
export function transpose(a: FloatArray, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

/** The n x n identity. */
export function identity(n: number): Float64Array {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
}

/** A new array of the same kind as `like` (Float32Array or Float64Array) holding `values`. */
export function sameKind<T extends FloatArray>(like: T, values: ArrayLike<number>): T {
  return (like instanceof Float32Array ? Float32Array.from(values) : Float64Array.from(values)) as T;
}
