/** Helpers shared by this package's unit tests (not exported from the package). */
import { createRng } from '@x/core';
import type { FloatArray, Matrix } from '../types';

export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix<Float64Array> {
  const rng = createRng(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * scale;
  return { rows, cols, data };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** max |Q Qᵀ − I| computed with naive loops. */
export function orthogonalityError(q: Matrix): number {
  const n = q.rows;
  let m = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < q.cols; p++) s += q.data[i * q.cols + p] * q.data[j * q.cols + p];
      m = Math.max(m, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return m;
}

/** Naive C = A B (plain triple loop, the spec). */
export function naiveMatmul(a: FloatArray, b: FloatArray, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  return c;
}

export function naiveTranspose(a: FloatArray, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

/** Catches and returns what `fn` throws (fails the test when nothing is thrown). */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
