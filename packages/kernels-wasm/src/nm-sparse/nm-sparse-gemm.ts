/**
 * Y[t, rows] = X[t, columns] · W^T (+ bias) for N:M-compressed W (see compress-nm-weights.ts).
 * Token blocks of 16 when t >= 12, 4 when t >= 3; one or two tokens use the scalar-gather GEMV
 * (csrc/f32-spmm-nm). Expect modest gains over dense
 * on CPU at 2:4 (no sparse SIMD instruction; sparse-attn-kernels.md §11): measure with `pnpm bench`.
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
import type { LoadedNmSparse } from './load-nm-sparse';

export interface NmSparseGemmOptions {
  /** Rows of X (tokens). */
  t: number;
  /** Where to write Y (length >= t * rows). */
  out?: KernelInput<'float32'>;
}

export function nmSparseGemm(
  kernels: Kernels,
  x: KernelInput<'float32'>,
  weights: LoadedNmSparse,
  options: NmSparseGemmOptions,
): Float32Array {
  const name = 'nmSparseGemm';
  checkPacked(name, kernels, weights);
  const t = checkDimension(name, 't', options.t);
  const { rows, columns, kept, group } = weights;
  checkInput(name, 'x', 'float32', x, t * columns, kernels);
  if (options.out !== undefined) checkInput(name, 'out', 'float32', options.out, t * rows, kernels);
  if (t <= 2) {
    kernels.scratch.begin(
      stagedBytes('float32', x, t * columns) + outputBytes('float32', options.out, t * rows) + 128,
    );
    const xPointer = stageInput(kernels, 'float32', x, t * columns);
    const yPointer = stageOutput(kernels, 'float32', options.out, t * rows);
    kernels.kernel('xk_f32_spmm_nm_1_scalar')(
      t,
      rows,
      columns,
      kept,
      group,
      xPointer,
      weights.buffer.pointer,
      weights.indicesBuffer.pointer,
      weights.biasBuffer?.pointer ?? 0,
      yPointer,
      rows,
    );
    return finishOutput(kernels, 'float32', options.out, yPointer, t * rows);
  }
  const block = t >= 12 ? 16 : 4;
  const transposedBytes = Math.ceil(t / block) * block * columns * 4;
  kernels.scratch.begin(
    stagedBytes('float32', x, t * columns) +
      outputBytes('float32', options.out, t * rows) +
      transposedBytes +
      192,
  );
  const xPointer = stageInput(kernels, 'float32', x, t * columns);
  const transposed = kernels.scratch.take(transposedBytes);
  const yPointer = stageOutput(kernels, 'float32', options.out, t * rows);
  kernels.kernel(`xk_f32_spmm_nm_transpose_${block}`)(t, columns, xPointer, transposed);
  kernels.kernel(`xk_f32_spmm_nm_${block}_wasmsimd`)(
    t,
    rows,
    columns,
    kept,
    group,
    transposed,
    weights.buffer.pointer,
    weights.indicesBuffer.pointer,
    weights.biasBuffer?.pointer ?? 0,
    yPointer,
    rows,
  );
  return finishOutput(kernels, 'float32', options.out, yPointer, t * rows);
}
