/**
 * W8A8 GEMM: C[m, n] = A[m, k] · B[k, n] (+ bias) with int8 inputs and exact int32 accumulation
 * (i32x4.dot_i16x8_s, 4 x 8 tile). Requantization to int8/float is left to the caller (multiply
 * by s_a * s_w per row/column).
 */
import { checkPacked } from '../f32-gemm/f32-gemm';
import {
  checkDimension,
  checkInput,
  finishOutput,
  type KernelInput,
  outputBytes,
  stagedBytes,
  stageInput,
  stageOutput,
} from '../internal/io';
import type { Kernels } from '../load';
import type { PackedQs8Gemm } from './pack-qs8-gemm';

export interface Qs8GemmOptions {
  /** Rows of A and C. */
  m: number;
  /** Where to write C (int32, length >= m * n); a KernelBuffer skips the copy out. */
  out?: KernelInput<'int32'>;
}

export function qs8Gemm(
  kernels: Kernels,
  a: KernelInput<'int8'>,
  weights: PackedQs8Gemm,
  options: Qs8GemmOptions,
): Int32Array {
  const name = 'qs8Gemm';
  checkPacked(name, kernels, weights);
  const m = checkDimension(name, 'm', options.m);
  const { k, n } = weights;
  checkInput(name, 'a', 'int8', a, m * k, kernels);
  if (options.out !== undefined) checkInput(name, 'out', 'int32', options.out, m * n, kernels);
  const padded = 2 * Math.ceil(k / 2);
  kernels.scratch.begin(
    stagedBytes('int8', a, m * k) + outputBytes('int32', options.out, m * n) + m * padded * 2 + 192,
  );
  const aPointer = stageInput(kernels, 'int8', a, m * k);
  const widened = kernels.scratch.take(m * padded * 2);
  const cPointer = stageOutput(kernels, 'int32', options.out, m * n);
  kernels.kernel('xk_qs8_widen_a')(m, k, aPointer, k, widened);
  kernels.kernel('xk_qs8_gemm_4x8_wasmsimd')(m, n, k, widened, padded, weights.buffer.pointer, cPointer, n);
  return finishOutput(kernels, 'int32', options.out, cPointer, m * n);
}
