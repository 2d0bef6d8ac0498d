/**
 * The one error type of the @x packages. Checks use a `Symbol.for` marker, never `instanceof`,
 * so they hold when two copies of @x/core are loaded (a bundled CLI, mismatched versions).
 *
 * Codes are stable once published: messages may change, codes never get renamed.
 */
const marker = Symbol.for('x.error');

/** Error codes owned by @x/core. Method packages add their own (e.g. `PRUNE_NO_CALIBRATION`). */
export type CoreErrorCode =
  | 'X_ABORTED'
  | 'X_INVALID_ARGUMENT'
  | 'X_SHAPE_MISMATCH'
  | 'X_DTYPE_MISMATCH'
  | 'X_BACKEND_UNAVAILABLE'
  | 'X_SESSION'
  | 'X_MODEL_READ'
  | 'X_MODEL_CORRUPT'
  | 'X_MODEL_WRITE'
  | 'X_EXTERNAL_DATA'
  | 'X_GRAPH'
  | 'X_UNSUPPORTED_OP'
  | 'X_UNSUPPORTED_ARCHITECTURE'
  | 'X_TOKENIZER'
  | 'X_EVAL';

export interface XErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Structured facts about the failure (file, node, option, ...), for programs. */
  details?: Record<string, unknown>;
}

export class XError extends Error {
  readonly [marker] = true;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: XErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'XError';
    this.code = code;
    this.details = options.details;
  }

  /** True for any `XError` (or subclass) from any copy of @x/core. */
  static isInstance(value: unknown): value is XError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** True for any `XError`, whatever copy of @x/core created it. */
export function isXError(value: unknown): value is XError {
  return XError.isInstance(value);
}

/** Throws `X_ABORTED` if the signal has fired. Call between layers or blocks of long work. */
export function throwIfAborted(signal: AbortSignal | undefined, phase?: string): void {
  if (signal?.aborted) {
    throw new XError('X_ABORTED', phase ? `aborted during ${phase}` : 'aborted', {
      cause: signal.reason,
      details: phase ? { phase } : undefined,
    });
  }
}

/** The progress callback shape shared by every long operation. */
export interface ProgressEvent {
  /** Short kebab-case phase name, e.g. `calibrate`, `prune-layer`, `write-model`. */
  phase: string;
  done: number;
  total: number;
}
export type ProgressCallback = (event: ProgressEvent) => void;
