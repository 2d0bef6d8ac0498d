/**
 * Fusing a d×d rotation into large float32 matrices in place, on @x/kernels-wasm's SIMD GEMM (brief §7.2,
 * row-vector convention; `rotate-linear.ts` is the fp64 TS twin):
 *
 * - `rotateRowsInPlace`: M ← M R, each row a d-vector (the embedding, an `[out, in]` weight on its input side,
 *   an `[in, out]` weight on its output side, a bias).
 * - `rotateColumnsInPlace`: M ← Rᵀ M, each column a d-vector (an `[in, out]` weight on its input side, an
 *   `[out, in]` weight on its output side), one block of columns at a time (the block packed as the GEMM's
 *   right operand, Rᵀ as its left).
 *
 * Both work in blocks, so the wasm memory (which never shrinks) holds one block, not the whole matrix, and no
 * second copy of the matrix is made. Products are float32 with float32 accumulation (the stored weights are
 * float32 anyway; the tests bound the difference to the fp64 twin).
 */
import { f32Gemm, type Kernels, type PackedF32Gemm, packF32Gemm } from '@x/kernels-wasm';
import { QuantError } from '../errors';
import { assertSquare } from '../internal/validate';
import type { Matrix } from '../types';

/** A rotation packed once for the GEMM kernel. Call `dispose()` when done. */
export interface PackedRotation {
  readonly kernels: Kernels;
  readonly size: number;
  readonly packed: PackedF32Gemm;
  /** Rᵀ, row-major float32 (the left operand of M ← Rᵀ M). */
  readonly transposed: Float32Array;
  dispose(): void;
}

/** Packs R (size × size) as the GEMM's right operand. */
export function packRotation(kernels: Kernels, rotation: Matrix): PackedRotation {
  assertSquare(rotation, 'rotation');
  const size = rotation.rows;
  const packed = packF32Gemm(kernels, Float32Array.from(rotation.data), { k: size, n: size });
  const transposed = new Float32Array(size * size);
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) transposed[j * size + i] = rotation.data[i * size + j];
  return { kernels, size, packed, transposed, dispose: () => packed.dispose() };
}

function checkLength(argument: string, length: number, size: number): void {
  if (length % size !== 0) {
    throw new QuantError(
      'QUANT_SHAPE_MISMATCH',
      `${argument}: ${length} values, a rotation of size ${size} needs a multiple of it`,
      { details: { argument, length, size } },
    );
  }
}

/** data [rows, size] ← data · R, in place, `blockRows` rows at a time. */
export function rotateRowsInPlace(rotation: PackedRotation, data: Float32Array, blockRows = 512): void {
  const n = rotation.size;
  checkLength('data', data.length, n);
  const rows = data.length / n;
  for (let start = 0; start < rows; start += blockRows) {
    const m = Math.min(blockRows, rows - start);
    const block = data.subarray(start * n, (start + m) * n);
    // The kernel stages A before writing C, so the block may be its own output.
    f32Gemm(rotation.kernels, block, rotation.packed, { m, out: block });
  }
}

/** data [size, cols] ← Rᵀ · data, in place, `blockColumns` columns at a time. */
export function rotateColumnsInPlace(rotation: PackedRotation, data: Float32Array, blockColumns = 512): void {
  const n = rotation.size;
  checkLength('data', data.length, n);
  const cols = data.length / n;
  const gathered = new Float32Array(Math.min(blockColumns, cols) * n);
  for (let start = 0; start < cols; start += blockColumns) {
    const m = Math.min(blockColumns, cols - start);
    // block [n, m] = data[:, start:start+m], row slices
    for (let i = 0; i < n; i++) gathered.set(data.subarray(i * cols + start, i * cols + start + m), i * m);
    const packed = packF32Gemm(rotation.kernels, gathered.subarray(0, n * m), { k: n, n: m });
    try {
      const product = f32Gemm(rotation.kernels, rotation.transposed, packed, { m: n });
      for (let i = 0; i < n; i++) data.set(product.subarray(i * m, (i + 1) * m), i * cols + start);
    } finally {
      packed.dispose();
    }
  }
}
