/**
 * `evaluateWhip` on @x/kernels-wasm's SIMD GEMM (same loss and gradient, DartQuant arXiv 2511.04063 Eq. 4;
 * brief §8.3; `whip-loss.ts` is the fp64 TS twin and the spec):
 *
 *   Y = X R,   L = (1/T) Σ exp(−|Y|),   ∂L/∂Y = −sign(Y)·exp(−|Y|)/T,   ∂L/∂R = Xᵀ ∂L/∂Y.
 *
 * The rows (token, head) that use rotation g are gathered into blocks of at most `blockRows` rows; each
 * block costs two float32 GEMMs (Y = X_b R and X_bᵀ G_b), and the loss and gradient are summed over the
 * blocks in fp64. Memory: one block (not the whole data set) inside the wasm heap.
 */
import { f32Gemm, type Kernels, packF32Gemm } from '@x/kernels-wasm';
import type { Matrix } from '../types';
import { assertWhipShapes, type WhipEvaluation } from './whip-loss';

export interface WhipKernelOptions {
  /** Gathered rows per GEMM block. @defaultValue 4096 */
  blockRows?: number;
}

export function evaluateWhipKernels(
  kernels: Kernels,
  samples: readonly Matrix[],
  rotations: readonly Matrix[],
  withGradient: boolean,
  tokenIndices?: readonly (Uint32Array | undefined)[],
  options: WhipKernelOptions = {},
): WhipEvaluation {
  assertWhipShapes(samples, rotations);
  const size = rotations[0].rows;
  const count = rotations.length;
  const blockRows = Math.max(1, options.blockRows ?? 4096);
  let tokens = 0;
  samples.forEach((x, s) => {
    tokens += tokenIndices?.[s]?.length ?? x.rows;
  });
  const sums = withGradient ? rotations.map(() => new Float64Array(size * size)) : undefined;
  const block = new Float32Array(blockRows * size);
  const transposed = withGradient ? new Float32Array(blockRows * size) : undefined;
  let loss = 0;
  for (let g = 0; g < count; g++) {
    const packed = packF32Gemm(kernels, Float32Array.from(rotations[g].data), { k: size, n: size });
    const sum = sums?.[g];
    let filled = 0;
    const flush = () => {
      if (filled === 0) return;
      const x = block.subarray(0, filled * size);
      const y = f32Gemm(kernels, x, packed, { m: filled });
      for (let i = 0; i < y.length; i++) {
        const value = y[i];
        const e = Math.exp(-Math.abs(value));
        loss += e;
        y[i] = value > 0 ? -e : value < 0 ? e : 0; // ∂L/∂Y times T (divided at the end)
      }
      if (sum !== undefined && transposed !== undefined) {
        // Xᵀ [size, filled] times G [filled, size]
        const xt = transposed.subarray(0, filled * size);
        for (let r = 0; r < filled; r++) for (let c = 0; c < size; c++) xt[c * filled + r] = x[r * size + c];
        const packedGradient = packF32Gemm(kernels, y, { k: filled, n: size });
        try {
          const product = f32Gemm(kernels, xt, packedGradient, { m: size });
          for (let i = 0; i < product.length; i++) sum[i] += product[i];
        } finally {
          packedGradient.dispose();
        }
      }
      filled = 0;
    };
    try {
      for (let s = 0; s < samples.length; s++) {
        const x = samples[s];
        const cols = x.cols;
        const heads = cols / size;
        const perRotation = heads / count;
        const indices = tokenIndices?.[s];
        const rowsUsed = indices?.length ?? x.rows;
        for (let ti = 0; ti < rowsUsed; ti++) {
          const t = indices === undefined ? ti : indices[ti];
          for (let h = g * perRotation; h < (g + 1) * perRotation; h++) {
            const base = t * cols + h * size;
            const target = filled * size;
            for (let p = 0; p < size; p++) block[target + p] = x.data[base + p];
            if (++filled === blockRows) flush();
          }
        }
      }
      flush();
    } finally {
      packed.dispose();
    }
  }
  const gradients = sums?.map((sum) => {
    for (let i = 0; i < sum.length; i++) sum[i] /= tokens;
    return sum;
  });
  return { loss: loss / tokens, gradients, tokens };
}
