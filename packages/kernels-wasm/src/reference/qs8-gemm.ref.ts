/** Reference twin of the W8A8 GEMM: exact integer C[m, n] = sum_k A[m, k] B[k, n] + bias[n]. */
export function qs8GemmRef(
  a: Int8Array,
  b: Int8Array,
  shape: { m: number; k: number; n: number; transposed?: boolean },
  bias?: Int32Array,
): Int32Array {
  const { m, k, n } = shape;
  const c = new Int32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias === undefined ? 0 : bias[j];
      for (let p = 0; p < k; p++) sum += a[i * k + p] * (shape.transposed ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = sum;
    }
  }
  return c;
}
