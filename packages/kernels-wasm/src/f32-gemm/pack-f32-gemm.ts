/**
 * Packs fp32 weights B once for `f32Gemm` (panels of 8 output columns, bias first; see
 * csrc/f32-gemm/f32-gemm-pack.c). The packed copy lives in the kernels' memory until `dispose()`.
 */

import { checkDimension, checkInput, type KernelInput, stagedBytes, stageInput } from '../internal/io';
import type { Kernels } from '../load';
import type { KernelBuffer } from '../runtime/memory';

export interface PackF32GemmOptions {
  /** Inner dimension (rows of B). */
  k: number;
  /** Output columns. */
  n: number;
  /** Optional bias of length n, added to every output row. */
  bias?: Float32Array;
  /**
   * B is given as [n, k] (a Linear layer's weight) instead of [k, n] (ONNX MatMul's B).
   * @defaultValue false
   */
  transposed?: boolean;
}

export interface PackedF32Gemm {
  readonly kind: 'f32-gemm';
  readonly k: number;
  readonly n: number;
  readonly hasBias: boolean;
  readonly kernels: Kernels;
  /** The packed panels: ceil(n / 8) * (8 + 8 k) floats. */
  readonly buffer: KernelBuffer<'float32'>;
  dispose(): void;
}

export function packedF32GemmLength(k: number, n: number): number {
  return Math.ceil(n / 8) * (8 + 8 * k);
}

export function packF32Gemm(
  kernels: Kernels,
  b: KernelInput<'float32'>,
  options: PackF32GemmOptions,
): PackedF32Gemm {
  const name = 'packF32Gemm';
  const k = checkDimension(name, 'k', options.k);
  const n = checkDimension(name, 'n', options.n);
  checkInput(name, 'b', 'float32', b, k * n, kernels);
  if (options.bias !== undefined) checkInput(name, 'bias', 'float32', options.bias, n);
  const buffer = kernels.alloc('float32', packedF32GemmLength(k, n));
  kernels.scratch.begin(stagedBytes('float32', b, k * n) + stagedBytes('float32', options.bias, n) + 128);
  const bPointer = stageInput(kernels, 'float32', b, k * n);
  const biasPointer = options.bias === undefined ? 0 : stageInput(kernels, 'float32', options.bias, n);
  const transposed = options.transposed ?? false;
  kernels.kernel('xk_f32_gemm_pack')(
    k,
    n,
    bPointer,
    transposed ? k : n,
    transposed ? 1 : 0,
    biasPointer,
    buffer.pointer,
  );
  return {
    kind: 'f32-gemm',
    k,
    n,
    hasBias: options.bias !== undefined,
    kernels,
    buffer,
    dispose: () => buffer.free(),
  };
}
