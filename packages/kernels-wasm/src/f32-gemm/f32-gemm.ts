/**
 * C[m, n] = A[m, k] · B[k, n] (+ bias) on weights packed by `packF32Gemm`. Uses the relaxed-SIMD
 * FMA variant when the instance was loaded with isa 'relaxed', else a SIMD128 4x8 kernel
 * (`f32GemmVariantsFor` gives the order).
 * m = 1 is a GEMV (the 1x8 tile).
 */
import { KernelError } from '../errors';
import {
  checkDimension,
  checkInput,
  finishOutput,
  type KernelInput,
  outputBytes,
  shapeMismatch,
  stagedBytes,
  stageInput,
  stageOutput,
} from '../internal/io';
import type { Kernels } from '../load';
import type { PackedF32Gemm } from './pack-f32-gemm';

export interface F32GemmOptions {
  /** Rows of A and C. */
  m: number;
  /** Where to write C (length >= m * n); a KernelBuffer skips the copy out. */
  out?: KernelInput<'float32'>;
}

/**
 * Variant order per host, as XNNPACK picks (sparse-attn-kernels.md §9.1): "loadsplat" on x86
 * (broadcast loads keep shuffles off the FP ports; measured 1.2-1.5x faster here), "splat" elsewhere
 * (ARM; not measured in this repo). Relaxed FMA first when the module has it. For SIMD128 on x86 the
 * "loadsplat_offsets" build of the same 4x8 tile comes first: it addresses loads through wasm offset
 * immediates (3 fewer x86 instructions per k step, see csrc/f32-gemm/f32-gemm-loadsplat-offsets.inc)
 * and measured 1.07x / 1.09x the plain loadsplat kernel at 512^3 / 1024^3 (medians of 7 runs, process
 * CPU time, Node 20, Zen 4; README). The relaxed FMA kernel gains nothing from it and keeps plain loadsplat.
 */
export function f32GemmVariantsFor(kernels: Kernels): string[] {
  const x86 = kernels.kernel('xk_host_is_x86')() === 1;
  if (x86) {
    return [
      'xk_f32_gemm_4x8_relaxedsimd_loadsplat',
      'xk_f32_gemm_4x8_wasmsimd_loadsplat_offsets',
      'xk_f32_gemm_4x8_wasmsimd_loadsplat',
    ];
  }
  return ['xk_f32_gemm_4x8_relaxedsimd_splat', 'xk_f32_gemm_4x8_wasmsimd_splat'];
}

const chosen = new WeakMap<Kernels, string>();

/** The export name f32Gemm uses on this instance. */
export function f32GemmVariant(kernels: Kernels): string {
  let name = chosen.get(kernels);
  if (name === undefined) {
    name = f32GemmVariantsFor(kernels).find(
      (candidate) => typeof kernels.instance.exports[candidate] === 'function',
    ) as string;
    chosen.set(kernels, name);
  }
  return name;
}

export function checkPacked(
  kernel: string,
  kernels: Kernels,
  weights: { kernels: Kernels; buffer: { freed: boolean } },
): void {
  if (weights.kernels !== kernels) {
    throw new KernelError('KERNEL_DISPOSED', `${kernel}: weights were packed by another kernels instance`, {
      details: { kernel, argument: 'weights' },
    });
  }
  if (weights.buffer.freed) {
    throw new KernelError('KERNEL_DISPOSED', `${kernel}: weights were disposed`, {
      details: { kernel, argument: 'weights' },
    });
  }
}

export function f32Gemm(
  kernels: Kernels,
  a: KernelInput<'float32'>,
  weights: PackedF32Gemm,
  options: F32GemmOptions,
): Float32Array {
  const name = 'f32Gemm';
  checkPacked(name, kernels, weights);
  if (weights.kind !== 'f32-gemm')
    throw shapeMismatch(name, `weights are '${String(weights.kind)}', expected 'f32-gemm'`, {});
  const m = checkDimension(name, 'm', options.m);
  const { k, n } = weights;
  checkInput(name, 'a', 'float32', a, m * k, kernels);
  if (options.out !== undefined) checkInput(name, 'out', 'float32', options.out, m * n, kernels);
  kernels.scratch.begin(stagedBytes('float32', a, m * k) + outputBytes('float32', options.out, m * n) + 128);
  const aPointer = stageInput(kernels, 'float32', a, m * k);
  const cPointer = stageOutput(kernels, 'float32', options.out, m * n);
  const run = kernels.kernel(f32GemmVariant(kernels));
  run(m, n, k, aPointer, k, weights.buffer.pointer, cPointer, n);
  return finishOutput(kernels, 'float32', options.out, cPointer, m * n);
}
