/**
 * `qrOrthBackward` with its two n×n products on @x/kernels-wasm's SIMD GEMM (float32), the triangular solve
 * in fp64 TS (DartQuant arXiv 2511.04063 §4.3; brief §8.4; `qr-orth-backward.ts` is the fp64 twin):
 *
 *   ∂L/∂Z = Q · tril₋(QᵀG − GᵀQ) · Rqr⁻ᵀ.
 *
 * The result is a gradient for an SGD step, so float32 products (relative error ~1e-6) are ample; Q itself
 * still comes from the fp64 Householder QR, so R stays orthogonal to fp64 accuracy.
 */
import { f32Gemm, type Kernels, packF32Gemm } from '@x/kernels-wasm';

function multiply(kernels: Kernels, a: Float32Array, b: Float32Array, n: number): Float32Array {
  const packed = packF32Gemm(kernels, b, { k: n, n });
  try {
    return f32Gemm(kernels, a, packed, { m: n });
  } finally {
    packed.dispose();
  }
}

/** ∂L/∂Z from Q, Rqr (n × n, Rqr upper with positive diagonal) and G = ∂L/∂Q. */
export function qrOrthBackwardKernels(
  kernels: Kernels,
  q: Float64Array,
  r: Float64Array,
  gradQ: Float64Array,
  n: number,
): Float64Array {
  const qt = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qt[j * n + i] = q[i * n + j];
  const b = multiply(kernels, qt, Float32Array.from(gradQ), n); // QᵀG
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m[i * n + j] = b[i * n + j] - b[j * n + i];
  const qm = multiply(kernels, Float32Array.from(q), m, n);
  // X = qm · R⁻ᵀ  ⇔  X Rᵀ = qm  ⇔  for each row x: R xᵀ = rowᵀ (back substitution, fp64).
  const out = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    const base = row * n;
    for (let i = n - 1; i >= 0; i--) {
      let s = qm[base + i];
      const ri = i * n;
      for (let j = i + 1; j < n; j++) s -= r[ri + j] * out[base + j];
      out[base + i] = s / r[ri + i];
    }
  }
  return out;
}
