/**
 * Moves attention tensors into the kernels' linear memory. Rows of `headDim` floats are padded to
 * `paddedDim` (a multiple of 8, what the wasm tiles need) with zeros: zero channels change no dot
 * product and produce output channels that are dropped on the way out. KernelBuffers whose head
 * dim needs no padding are used in place.
 */
import { KernelError } from './errors';
import { isKernelBuffer, type KernelInput, stageInput } from './internal/io';
import type { Kernels } from './load';
import { ScratchArena } from './runtime/scratch';

/** The head dim the wasm attention kernels work on: `headDim` rounded up to a multiple of 8. */
export function paddedHeadDim(headDim: number): number {
  return Math.ceil(headDim / 8) * 8;
}

/** A Float32Array view of an input (a KernelBuffer's current view). */
export function viewOf(value: KernelInput<'float32'>): Float32Array {
  return isKernelBuffer(value) ? value.view() : value;
}

/** Scratch bytes `stageRows` takes for this input (0 when it is used in place). */
export function stagedRowBytes(value: KernelInput<'float32'>, rows: number, headDim: number): number {
  const paddedDim = paddedHeadDim(headDim);
  return isKernelBuffer(value) && paddedDim === headDim ? 0 : rows * paddedDim * 4;
}

/** Address of `rows` rows of `headDim` floats, padded to `paddedHeadDim(headDim)` (after scratch.begin). */
export function stageRows(
  kernels: Kernels,
  value: KernelInput<'float32'>,
  rows: number,
  headDim: number,
): number {
  const paddedDim = paddedHeadDim(headDim);
  if (paddedDim === headDim) return stageInput(kernels, 'float32', value, rows * headDim);
  const source = viewOf(value);
  const pointer = kernels.scratch.take(rows * paddedDim * 4);
  const target = new Float32Array(kernels.memory.memory.buffer, pointer, rows * paddedDim);
  target.fill(0);
  for (let r = 0; r < rows; r++) target.set(source.subarray(r * headDim, (r + 1) * headDim), r * paddedDim);
  return pointer;
}

/** Scratch bytes the output takes (0 when written in place). */
export function outputBytes(
  output: KernelInput<'float32'> | undefined,
  rows: number,
  headDim: number,
): number {
  const paddedDim = paddedHeadDim(headDim);
  return output !== undefined && isKernelBuffer(output) && paddedDim === headDim ? 0 : rows * paddedDim * 4;
}

/** Address the kernel writes its padded output to. */
export function stageOutputRows(
  kernels: Kernels,
  output: KernelInput<'float32'> | undefined,
  rows: number,
  headDim: number,
): number {
  if (output !== undefined && isKernelBuffer(output) && paddedHeadDim(headDim) === headDim)
    return output.pointer;
  return kernels.scratch.take(rows * paddedHeadDim(headDim) * 4);
}

/** Copies the padded output rows at `pointer` into `output` (or a new array) without the padding. */
export function finishOutputRows(
  kernels: Kernels,
  output: KernelInput<'float32'> | undefined,
  pointer: number,
  rows: number,
  headDim: number,
): Float32Array {
  const paddedDim = paddedHeadDim(headDim);
  if (output !== undefined && isKernelBuffer(output) && output.pointer === pointer) return output.view();
  const target = output === undefined ? new Float32Array(rows * headDim) : viewOf(output);
  const source = new Float32Array(kernels.memory.memory.buffer, pointer, rows * paddedDim);
  if (paddedDim === headDim) target.set(source.subarray(0, rows * headDim));
  else
    for (let r = 0; r < rows; r++)
      target.set(source.subarray(r * paddedDim, r * paddedDim + headDim), r * headDim);
  return target;
}

/** Copies a plain typed array into scratch as bytes; returns its address (0 for none). */
export function stageBytes(kernels: Kernels, value: ArrayBufferView | undefined): number {
  if (value === undefined) return 0;
  const pointer = kernels.scratch.take(value.byteLength);
  new Uint8Array(kernels.memory.memory.buffer, pointer, value.byteLength).set(
    new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
  );
  return pointer;
}

/** Scratch floats every attention call needs: the K^T panel (16384 floats) and 4 spare rows. */
export function engineScratchBytes(paddedDim: number): number {
  return (16384 + 4 * paddedDim) * 4;
}

/**
 * Outputs are never written over inputs: a KernelBuffer output may not overlap a KernelBuffer input
 * (the kernel reads query rows while it writes output rows).
 */
export function checkOutputDisjoint(
  kernel: string,
  output: KernelInput<'float32'> | undefined,
  inputs: Record<string, KernelInput<'float32'>>,
): void {
  if (output === undefined || !isKernelBuffer(output)) return;
  const end = output.pointer + output.length * 4;
  for (const [name, input] of Object.entries(inputs)) {
    if (!isKernelBuffer(input)) continue;
    if (input.pointer < end && output.pointer < input.pointer + input.length * 4) {
      throw new KernelError('KERNEL_INVALID_ARGUMENT', `${kernel}: options.output overlaps ${name}`, {
        details: { kernel, argument: 'options.output', overlaps: name },
      });
    }
  }
}

/** Addresses of one attention call's staged operands (see `stageAttentionCall`). */
export interface StagedAttention {
  q: number;
  k: number;
  v: number;
  o: number;
  /** Addresses of `tables`, in order (0 for an absent one). */
  tables: number[];
  /** The engine's scratch. */
  scratch: number;
  /** Padded head dimension the engine runs at. */
  dp: number;
}

/**
 * Sizes the scratch arena for one attention call and stages its operands in the order the engine reads them:
 * Q/K/V rows (padded to `paddedHeadDim`), the output rows, the call's index/bias tables, the engine scratch.
 * Shared by the dense, ragged and block-sparse wrappers.
 */
export function stageAttentionCall(
  kernels: Kernels,
  operands: {
    query: KernelInput<'float32'>;
    key: KernelInput<'float32'>;
    value: KernelInput<'float32'>;
    output: KernelInput<'float32'> | undefined;
  },
  shape: { rows: number; kvRows: number; headDim: number },
  tables: readonly (ArrayBufferView | undefined)[],
): StagedAttention {
  const { rows, kvRows, headDim } = shape;
  const dp = paddedHeadDim(headDim);
  kernels.scratch.begin(
    ScratchArena.bytesFor(
      stagedRowBytes(operands.query, rows, headDim),
      stagedRowBytes(operands.key, kvRows, headDim),
      stagedRowBytes(operands.value, kvRows, headDim),
      outputBytes(operands.output, rows, headDim),
      ...tables.map((table) => table?.byteLength ?? 0),
      engineScratchBytes(dp),
    ),
  );
  const q = stageRows(kernels, operands.query, rows, headDim);
  const k = stageRows(kernels, operands.key, kvRows, headDim);
  const v = stageRows(kernels, operands.value, kvRows, headDim);
  const o = stageOutputRows(kernels, operands.output, rows, headDim);
  const staged = tables.map((table) => stageBytes(kernels, table));
  const scratch = kernels.scratch.take(engineScratchBytes(dp));
  return { q, k, v, o, tables: staged, scratch, dp };
}
