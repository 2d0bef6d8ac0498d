/**
 * Typed errors of @x/kernels-wasm. This package has no runtime dependencies, so it repeats the
 * `Symbol.for('x.error')` marker pattern of @x/core's `XError` instead of importing it: an
 * `XError.isInstance(e)` check in core answers true for a `KernelError` too.
 *
 * Codes are stable once published: messages may change, codes never get renamed.
 */
const xMarker = Symbol.for('x.error');
const kernelMarker = Symbol.for('x.kernel-error');

export type KernelErrorCode =
  /** Tensor dimensions disagree with each other or with the packed weights. */
  | 'KERNEL_SHAPE_MISMATCH'
  /** A typed array has the wrong element type. */
  | 'KERNEL_DTYPE_MISMATCH'
  /** A buffer is shorter than its shape needs. */
  | 'KERNEL_BUFFER_TOO_SMALL'
  /** A pointer or byte offset is not aligned as the kernel requires. */
  | 'KERNEL_UNALIGNED'
  /** The linear memory could not grow to hold the request. */
  | 'KERNEL_OUT_OF_MEMORY'
  /** A Hadamard transform of this size has no known construction here. */
  | 'KERNEL_UNSUPPORTED_SIZE'
  /** An option or argument is out of its domain. */
  | 'KERNEL_INVALID_ARGUMENT'
  /** The WebAssembly module could not be found, compiled or instantiated. */
  | 'KERNEL_LOAD_FAILED'
  /** The engine lacks a feature the request needs (SIMD128, shared memory, workers). */
  | 'KERNEL_UNSUPPORTED_ENGINE'
  /** A handle (packed weights, buffer) was used after `dispose()` or with another instance. */
  | 'KERNEL_DISPOSED';

export interface KernelErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure (kernel, argument, shape...). */
  details?: Record<string, unknown>;
}

export class KernelError extends Error {
  readonly [xMarker] = true;
  readonly [kernelMarker] = true;
  readonly code: KernelErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: KernelErrorCode, message: string, options: KernelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KernelError';
    this.code = code;
    this.details = options.details;
  }

  /** True for any `KernelError` from any copy of this package. */
  static isInstance(value: unknown): value is KernelError {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kernelMarker] === true
    );
  }
}

/** True for any `KernelError`, whatever copy of @x/kernels-wasm created it. */
export function isKernelError(value: unknown): value is KernelError {
  return KernelError.isInstance(value);
}
