/**
 * N:M top-k activation masking (Amber Pruner, arXiv 2508.02128): per row of x [rows, columns]
 * and per group of `group` elements, keep the `kept` largest |x_i| * scale_i and zero the rest
 * (ties keep the lower index). `scale` is a static per-input-channel weight (e.g. the L2 norm of
 * each column of the next layer's weight, Wanda-style); omitted = 1.
 */
import {
  checkInput,
  finishOutput,
  isKernelBuffer,
  type KernelInput,
  stagedBytes,
  stageInput,
} from '../internal/io';
import type { Kernels } from '../load';
import { checkNmShape } from './compress-nm-weights';

export interface MaskNmActivationsOptions {
  rows: number;
  columns: number;
  kept: number;
  group: number;
  /** Per-column score scale, length `columns`. */
  scale?: Float32Array;
  /** Where to write the masked x; passing x's own KernelBuffer masks in place. */
  out?: KernelInput<'float32'>;
}

export function maskNmActivations(
  kernels: Kernels,
  x: KernelInput<'float32'>,
  options: MaskNmActivationsOptions,
): Float32Array {
  const name = 'maskNmActivations';
  const { rows, columns, kept, group } = checkNmShape(name, options);
  checkInput(name, 'x', 'float32', x, rows * columns, kernels);
  if (options.scale !== undefined) checkInput(name, 'scale', 'float32', options.scale, columns);
  const out = options.out;
  if (out !== undefined) checkInput(name, 'out', 'float32', out, rows * columns, kernels);
  kernels.scratch.begin(rows * columns * 4 + stagedBytes('float32', options.scale, columns) + 128);
  let target: number;
  if (out !== undefined && isKernelBuffer(out)) {
    target = out.pointer;
    if (!(isKernelBuffer(x) && x.pointer === out.pointer))
      out.view().set((isKernelBuffer(x) ? x.view() : x).subarray(0, rows * columns));
  } else target = stageInput(kernels, 'float32', isKernelBuffer(x) ? x.view() : x, rows * columns);
  const scale = options.scale === undefined ? 0 : stageInput(kernels, 'float32', options.scale, columns);
  kernels.kernel('xk_f32_nm_mask')(rows, columns, kept, group, target, scale);
  return finishOutput(kernels, 'float32', out, target, rows * columns);
}
