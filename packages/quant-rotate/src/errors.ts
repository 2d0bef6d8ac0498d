/**
 * `QuantError`: the error of @x/quant-rotate. It is an `XError` (stable `code`, `details`), with its
 * own `Symbol.for` marker so `isQuantError` works across copies of the package.
 */
import { XError, type XErrorOptions } from '@x/core';

const marker = Symbol.for('x.quant-rotate.error');

/** Stable error codes of @x/quant-rotate. Never renamed once published. */
export type QuantErrorCode =
  /** A bit width the quantizer or format does not support. */
  | 'QUANT_UNSUPPORTED_BITS'
  /** A group/block size that does not divide the channel count, or is not allowed by the format. */
  | 'QUANT_INVALID_GROUP_SIZE'
  /** A Hadamard size n that is not K·2^m with a known order K. */
  | 'QUANT_UNSUPPORTED_HADAMARD_SIZE'
  /** Matrix/array dimensions that do not fit together. */
  | 'QUANT_SHAPE_MISMATCH'
  /** An option outside its valid range. */
  | 'QUANT_INVALID_OPTION'
  /** A matrix that should be symmetric positive definite (a damped Hessian) is not. */
  | 'QUANT_NOT_POSITIVE_DEFINITE'
  /** A matrix that should be square and full rank (QR input) is singular. */
  | 'QUANT_SINGULAR_MATRIX'
  /** A model this transform cannot handle (weight dtype, graph form), named in the message. */
  | 'QUANT_UNSUPPORTED_MODEL'
  /** A method needs calibration data and none was given. */
  | 'QUANT_NO_CALIBRATION';

export class QuantError extends XError {
  readonly [marker] = true;
  override readonly code: QuantErrorCode;

  constructor(code: QuantErrorCode, message: string, options: XErrorOptions = {}) {
    super(code, message, options);
    this.name = 'QuantError';
    this.code = code;
  }

  /** True for a `QuantError` from any copy of @x/quant-rotate. */
  static override isInstance(value: unknown): value is QuantError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** True for a `QuantError` from any copy of @x/quant-rotate (no `instanceof`). */
export function isQuantError(value: unknown): value is QuantError {
  return QuantError.isInstance(value);
}
