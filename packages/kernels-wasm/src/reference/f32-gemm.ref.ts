/**
 * Reference twin of the f32 GEMM: C[m, n] = sum_k A[m, k] B[k, n] + bias[n], accumulated in
 * float64. B is [k, n] row-major ([n, k] when `transposed`). Readable loops: this is the spec.
 */
export function f32GemmRef(
  a: Float32Array,
  b: Float32Array,
  shape: { m: number; k: number; n: number; transposed?: boolean },
  bias?: Float32Array,
): Float32Array {
  const { m, k, n } = shape;
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias === undefined ? 0 : bias[j];
      for (let p = 0; p < k; p++) sum += a[i * k + p] * (shape.transposed ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = sum;
    }
  }
  return c;
}
