/**
 * Argument checks and staging shared by the kernel wrappers: a plain typed array is copied into
 * the scratch arena, a KernelBuffer is used in place (zero copy). Every failure is a KernelError
 * that names the kernel and the argument.
 */
import { KernelError } from '../errors';
import type { Kernels } from '../load';
import { type DtypeArrays, dtypeBytes, type KernelBuffer, type KernelDtype } from '../runtime/memory';

export type KernelInput<D extends KernelDtype> = DtypeArrays[D] | KernelBuffer<D>;

const arrayTypes: { [D in KernelDtype]: string } = {
  float32: 'Float32Array',
  int32: 'Int32Array',
  int16: 'Int16Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
};

export function isKernelBuffer(value: unknown): value is KernelBuffer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KernelBuffer).pointer === 'number' &&
    typeof (value as KernelBuffer).view === 'function'
  );
}

export function checkDimension(kernel: string, name: string, value: unknown, minimum = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > 2 ** 31) {
    throw new KernelError(
      'KERNEL_INVALID_ARGUMENT',
      `${kernel}: ${name} must be an integer >= ${minimum}, got ${String(value)}`,
      {
        details: { kernel, argument: name, value },
      },
    );
  }
  return value;
}

function checkTypedArray(kernel: string, name: string, dtype: KernelDtype, value: unknown): void {
  const expected = arrayTypes[dtype];
  const actual = (value as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (actual !== expected) {
    throw new KernelError(
      'KERNEL_DTYPE_MISMATCH',
      `${kernel}: ${name} must be a ${expected} or a '${dtype}' KernelBuffer, got ${actual ?? typeof value}`,
      {
        details: { kernel, argument: name, expected: dtype, actual },
      },
    );
  }
}

/** Checks `value` holds at least `length` elements of `dtype`; returns its element count. */
export function checkInput<D extends KernelDtype>(
  kernel: string,
  name: string,
  dtype: D,
  value: KernelInput<D>,
  length: number,
  kernels?: Kernels,
): number {
  if (isKernelBuffer(value)) {
    if (value.dtype !== dtype) {
      throw new KernelError(
        'KERNEL_DTYPE_MISMATCH',
        `${kernel}: ${name} is a '${value.dtype}' buffer, expected '${dtype}'`,
        {
          details: { kernel, argument: name, expected: dtype, actual: value.dtype },
        },
      );
    }
    if (value.freed)
      throw new KernelError('KERNEL_DISPOSED', `${kernel}: ${name} was freed`, {
        details: { kernel, argument: name },
      });
    if (value.pointer % 16 !== 0) {
      throw new KernelError(
        'KERNEL_UNALIGNED',
        `${kernel}: ${name} address ${value.pointer} is not 16-byte aligned`,
        {
          details: { kernel, argument: name, pointer: value.pointer },
        },
      );
    }
    if (
      kernels !== undefined &&
      value.pointer + value.length * dtypeBytes[dtype] > kernels.memory.memory.buffer.byteLength
    ) {
      throw new KernelError(
        'KERNEL_DISPOSED',
        `${kernel}: ${name} does not belong to this kernels instance`,
        {
          details: { kernel, argument: name },
        },
      );
    }
  } else checkTypedArray(kernel, name, dtype, value);
  if (value.length < length) {
    throw new KernelError(
      'KERNEL_BUFFER_TOO_SMALL',
      `${kernel}: ${name} has ${value.length} elements, needs ${length}`,
      {
        details: { kernel, argument: name, length: value.length, required: length },
      },
    );
  }
  return value.length;
}

/** Bytes the scratch arena needs for `value` (0 for a KernelBuffer). */
export function stagedBytes<D extends KernelDtype>(
  dtype: D,
  value: KernelInput<D> | undefined,
  length: number,
): number {
  return value === undefined || isKernelBuffer(value) ? 0 : length * dtypeBytes[dtype];
}

/** Bytes the scratch arena needs for an output (0 when `out` is a KernelBuffer, which is written in place). */
export function outputBytes<D extends KernelDtype>(
  dtype: D,
  out: KernelInput<D> | undefined,
  length: number,
): number {
  return out !== undefined && isKernelBuffer(out) ? 0 : length * dtypeBytes[dtype];
}

/** Address of `value` in linear memory, copying a typed array into scratch (after scratch.begin). */
export function stageInput<D extends KernelDtype>(
  kernels: Kernels,
  dtype: D,
  value: KernelInput<D>,
  length: number,
): number {
  if (isKernelBuffer(value)) return value.pointer;
  const pointer = kernels.scratch.take(length * dtypeBytes[dtype]);
  new Uint8Array(kernels.memory.memory.buffer, pointer, length * dtypeBytes[dtype]).set(
    new Uint8Array(value.buffer, value.byteOffset, length * dtypeBytes[dtype]),
  );
  return pointer;
}

/** Scratch address for an output (or the KernelBuffer's own address). */
export function stageOutput<D extends KernelDtype>(
  kernels: Kernels,
  dtype: D,
  out: KernelInput<D> | undefined,
  length: number,
): number {
  if (out !== undefined && isKernelBuffer(out)) return out.pointer;
  return kernels.scratch.take(length * dtypeBytes[dtype]);
}

const views = {
  float32: (buffer: ArrayBufferLike, pointer: number, length: number) =>
    new Float32Array(buffer, pointer, length),
  int32: (buffer: ArrayBufferLike, pointer: number, length: number) =>
    new Int32Array(buffer, pointer, length),
  int16: (buffer: ArrayBufferLike, pointer: number, length: number) =>
    new Int16Array(buffer, pointer, length),
  int8: (buffer: ArrayBufferLike, pointer: number, length: number) => new Int8Array(buffer, pointer, length),
  uint8: (buffer: ArrayBufferLike, pointer: number, length: number) =>
    new Uint8Array(buffer, pointer, length),
} as { [D in KernelDtype]: (buffer: ArrayBufferLike, pointer: number, length: number) => DtypeArrays[D] };

/** Copies a result out of linear memory into `out` (or a new array); a KernelBuffer out is returned as its view. */
export function finishOutput<D extends KernelDtype>(
  kernels: Kernels,
  dtype: D,
  out: KernelInput<D> | undefined,
  pointer: number,
  length: number,
): DtypeArrays[D] {
  if (out !== undefined && isKernelBuffer(out)) return out.view();
  const source = views[dtype](kernels.memory.memory.buffer, pointer, length);
  if (out === undefined) return source.slice() as DtypeArrays[D];
  (out as unknown as { set(array: ArrayLike<number>): void }).set(source);
  return out as DtypeArrays[D];
}

export function shapeMismatch(
  kernel: string,
  message: string,
  details: Record<string, unknown>,
): KernelError {
  return new KernelError('KERNEL_SHAPE_MISMATCH', `${kernel}: ${message}`, {
    details: { kernel, ...details },
  });
}
