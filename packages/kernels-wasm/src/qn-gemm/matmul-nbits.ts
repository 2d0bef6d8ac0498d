/**
 * Y[m, n] = A[m, k] · dequant(B)^T for MatMulNBits weights (see load-matmul-nbits.ts). A is staged
 * per block as int16 (xk_qn_prepare_a: relative error <= 2^-16 of the block max), the dot
 * products run in integers (i32x4.dot_i16x8_s), scales and zero points are applied per block
 * in fp32. m = 1 is the decode GEMV; larger m reuses each unpacked weight block for 4 rows.
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
import type { LoadedMatMulNBits } from './load-matmul-nbits';

export interface MatMulNBitsOptions {
  /** Rows of A. */
  m: number;
  /** Where to write Y (length >= m * n); a KernelBuffer skips the copy out. */
  out?: KernelInput<'float32'>;
}

export function matMulNBits(
  kernels: Kernels,
  a: KernelInput<'float32'>,
  weights: LoadedMatMulNBits,
  options: MatMulNBitsOptions,
): Float32Array {
  const name = 'matMulNBits';
  checkPacked(name, kernels, weights);
  const m = checkDimension(name, 'm', options.m);
  const { k, n, kBlocks, blockSize, bits } = weights;
  checkInput(name, 'a', 'float32', a, m * k, kernels);
  if (options.out !== undefined) checkInput(name, 'out', 'float32', options.out, m * n, kernels);
  const padded = kBlocks * blockSize;
  kernels.scratch.begin(
    stagedBytes('float32', a, m * k) +
      outputBytes('float32', options.out, m * n) +
      m * padded * 2 +
      m * kBlocks * 8 +
      5 * 64,
  );
  const aPointer = stageInput(kernels, 'float32', a, m * k);
  const quantized = kernels.scratch.take(m * padded * 2);
  const aScale = kernels.scratch.take(m * kBlocks * 4);
  const aT = kernels.scratch.take(m * kBlocks * 4);
  const cPointer = stageOutput(kernels, 'float32', options.out, m * n);
  kernels.kernel('xk_qn_prepare_a')(m, k, blockSize, bits === 4 ? 1 : 0, aPointer, k, quantized, aScale, aT);
  kernels.kernel(bits === 4 ? 'xk_qn_gemm_4bit_wasmsimd' : 'xk_qn_gemm_8bit_wasmsimd')(
    m,
    n,
    k,
    blockSize,
    quantized,
    aScale,
    aT,
    weights.buffer.pointer,
    weights.scalesBuffer.pointer,
    weights.zeroPointsBuffer?.pointer ?? 0,
    cPointer,
    n,
  );
  return finishOutput(kernels, 'float32', options.out, cPointer, m * n);
}
