/**
 * Packs int8 weights B once for `qs8Gemm` (W8A8): widened to int16 in panels of 8 columns with
 * k-pairs interleaved for i32x4.dot_i16x8_s, int32 bias first (csrc/qs8-gemm/qs8-gemm-pack.c).
 */
import { checkDimension, checkInput, type KernelInput, stagedBytes, stageInput } from '../internal/io';
import type { Kernels } from '../load';
import type { KernelBuffer } from '../runtime/memory';

export interface PackQs8GemmOptions {
  /** Inner dimension (rows of B). */
  k: number;
  /** Output columns. */
  n: number;
  /** Optional int32 bias of length n (e.g. a folded zero-point correction). */
  bias?: Int32Array;
  /**
   * B is given as [n, k] instead of [k, n].
   * @defaultValue false
   */
  transposed?: boolean;
}

export interface PackedQs8Gemm {
  readonly kind: 'qs8-gemm';
  readonly k: number;
  readonly n: number;
  readonly kernels: Kernels;
  readonly buffer: KernelBuffer<'uint8'>;
  dispose(): void;
}

export function packedQs8GemmBytes(k: number, n: number): number {
  return Math.ceil(n / 8) * (32 + Math.ceil(k / 2) * 32);
}

export function packQs8Gemm(
  kernels: Kernels,
  b: KernelInput<'int8'>,
  options: PackQs8GemmOptions,
): PackedQs8Gemm {
  const name = 'packQs8Gemm';
  const k = checkDimension(name, 'k', options.k);
  const n = checkDimension(name, 'n', options.n);
  checkInput(name, 'b', 'int8', b, k * n, kernels);
  if (options.bias !== undefined) checkInput(name, 'bias', 'int32', options.bias, n);
  const buffer = kernels.alloc('uint8', packedQs8GemmBytes(k, n));
  kernels.scratch.begin(stagedBytes('int8', b, k * n) + stagedBytes('int32', options.bias, n) + 128);
  const bPointer = stageInput(kernels, 'int8', b, k * n);
  const biasPointer = options.bias === undefined ? 0 : stageInput(kernels, 'int32', options.bias, n);
  const transposed = options.transposed ?? false;
  kernels.kernel('xk_qs8_gemm_pack')(
    k,
    n,
    bPointer,
    transposed ? k : n,
    transposed ? 1 : 0,
    biasPointer,
    buffer.pointer,
  );
  return { kind: 'qs8-gemm', k, n, kernels, buffer, dispose: () => buffer.free() };
}
