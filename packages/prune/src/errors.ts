import { XError, type XErrorOptions } from '@x/core';

const pruneMarker = Symbol.for('x.prune.error');

/**
 * Stable error codes of @x/prune. Once published, a code is never renamed.
 * - `PRUNE_INVALID_OPTION`: an option is out of range or malformed (sparsity outside (0,1), bad `n:m`, ...).
 * - `PRUNE_SHAPE_MISMATCH`: a weight, mask, activation or statistic has the wrong size.
 * - `PRUNE_NO_CALIBRATION`: a method needs a calibration statistic that was not collected.
 * - `PRUNE_UNKNOWN_METHOD`: no method of that name is registered.
 * - `PRUNE_CHOLESKY_FAILED`: SparseGPT's damped Hessian is not positive definite; raise `percdamp`.
 * - `PRUNE_UNSUPPORTED_MODEL`: the model cannot be pruned as is (quantized or non-float projection weights).
 * - `PRUNE_OUTPUT_EXISTS`: the output folder is the input folder (or inside it); nothing is written.
 */
export type PruneErrorCode =
  | 'PRUNE_INVALID_OPTION'
  | 'PRUNE_SHAPE_MISMATCH'
  | 'PRUNE_NO_CALIBRATION'
  | 'PRUNE_UNKNOWN_METHOD'
  | 'PRUNE_CHOLESKY_FAILED'
  | 'PRUNE_UNSUPPORTED_MODEL'
  | 'PRUNE_OUTPUT_EXISTS';

/** Error thrown by @x/prune. An `XError` (so `isXError` holds) with its own marker for `isPruneError`. */
export class PruneError extends XError {
  readonly [pruneMarker] = true;
  declare readonly code: PruneErrorCode;

  constructor(code: PruneErrorCode, message: string, options: XErrorOptions = {}) {
    super(code, message, options);
    this.name = 'PruneError';
  }

  /** True for a `PruneError` from any copy of @x/prune. */
  static override isInstance(value: unknown): value is PruneError {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[pruneMarker] === true
    );
  }
}

/** True for a `PruneError` from any copy of @x/prune (structural check, not `instanceof`). */
export function isPruneError(value: unknown): value is PruneError {
  return PruneError.isInstance(value);
}

/** Shorthand for the most common failure: an option out of range. `option` names it in message and details. */
export function invalidOption(option: string, message: string, value?: unknown): PruneError {
  return new PruneError('PRUNE_INVALID_OPTION', `${option}: ${message}`, { details: { option, value } });
}
