/**
 * `f32Gemm` over a KernelPool: rows split into one contiguous range per thread (multiples of the
 * 4-row tile); a GEMV (m < 4 x threads) splits the 8-column panels instead. Same packed weights,
 * same result as the single-thread call (each output element is computed by exactly one thread,
 * in the same order).
 */
import { KernelError } from '../errors';
import { checkPacked, type F32GemmOptions, f32GemmVariant } from '../f32-gemm/f32-gemm';
import type { PackedF32Gemm } from '../f32-gemm/pack-f32-gemm';
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
import type { KernelCall, KernelPool } from './kernel-pool';

const busy = new WeakSet<KernelPool>();

/** One call at a time per pool (the scratch arena is shared): a second concurrent call is a typed error. */
export async function parallelF32Gemm(
  pool: KernelPool,
  a: KernelInput<'float32'>,
  weights: PackedF32Gemm,
  options: F32GemmOptions,
): Promise<Float32Array> {
  const name = 'parallelF32Gemm';
  const kernels = pool.kernels;
  if (busy.has(pool)) {
    throw new KernelError(
      'KERNEL_INVALID_ARGUMENT',
      `${name}: the pool is busy; await the previous call first`,
      {
        details: { kernel: name, argument: 'pool' },
      },
    );
  }
  checkPacked(name, kernels, weights);
  const m = checkDimension(name, 'm', options.m);
  const { k, n } = weights;
  checkInput(name, 'a', 'float32', a, m * k, kernels);
  if (options.out !== undefined) checkInput(name, 'out', 'float32', options.out, m * n, kernels);
  kernels.scratch.begin(stagedBytes('float32', a, m * k) + outputBytes('float32', options.out, m * n) + 128);
  const aPointer = stageInput(kernels, 'float32', a, m * k);
  const cPointer = stageOutput(kernels, 'float32', options.out, m * n);
  const variant = f32GemmVariant(kernels);
  const threads = pool.threads;
  const perThread: KernelCall[][] = Array.from({ length: threads }, () => []);
  const packed = weights.buffer.pointer;
  if (m >= 4 * threads) {
    const tiles = Math.ceil(m / 4);
    let row = 0;
    for (let t = 0; t < threads; t++) {
      const rows = Math.min(m - row, Math.round((tiles * (t + 1)) / threads) * 4 - row);
      if (rows <= 0) continue;
      perThread[t].push({
        name: variant,
        args: [rows, n, k, aPointer + row * k * 4, k, packed, cPointer + row * n * 4, n],
      });
      row += rows;
    }
  } else {
    const panels = Math.ceil(n / 8);
    const panelFloats = 8 + 8 * k;
    let panel = 0;
    for (let t = 0; t < threads; t++) {
      const end = Math.round((panels * (t + 1)) / threads);
      if (end <= panel) continue;
      const n0 = panel * 8;
      const columns = Math.min(n, end * 8) - n0;
      perThread[t].push({
        name: variant,
        args: [m, columns, k, aPointer, k, packed + panel * panelFloats * 4, cPointer + n0 * 4, n],
      });
      panel = end;
    }
  }
  busy.add(pool);
  try {
    await pool.run(perThread);
  } finally {
    busy.delete(pool);
  }
  return finishOutput(kernels, 'float32', options.out, cPointer, m * n);
}
