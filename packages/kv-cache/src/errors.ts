import { XError, type XErrorOptions } from '@x/core';

/**
 * Errors of @x/kv-cache. Codes are stable once published (messages may change):
 * - `KV_INVALID_OPTION`: a policy or generator option is out of range (names the option).
 * - `KV_UNKNOWN_POLICY`: no policy is registered under that name.
 * - `KV_POLICY_UNAVAILABLE`: the policy is known but not available (not landed yet, or not in this mode).
 * - `KV_BUDGET_EXCEEDS_CONTEXT`: a token budget larger than the model's context.
 * - `KV_CONTEXT_EXCEEDED`: generation would pass the model's context (largest position).
 * - `KV_MODEL`: the model cannot be driven (missing inputs/outputs, unsupported graph for split mode).
 * - `KV_STATE`: a cache or generator used out of order (e.g. attend before append).
 * - `KV_PROFILE_INVALID`: a profile JSON (RazorAttention heads, KVTuner bits) is unreadable or malformed (names the file).
 * - `KV_PROFILE_MISMATCH`: a profile made for another model (shape or weight fingerprint differs).
 */
export type KvCacheErrorCode =
  | 'KV_INVALID_OPTION'
  | 'KV_UNKNOWN_POLICY'
  | 'KV_POLICY_UNAVAILABLE'
  | 'KV_BUDGET_EXCEEDS_CONTEXT'
  | 'KV_CONTEXT_EXCEEDED'
  | 'KV_MODEL'
  | 'KV_STATE'
  | 'KV_PROFILE_INVALID'
  | 'KV_PROFILE_MISMATCH';

const marker = Symbol.for('x.kv-cache.error');

/** The typed error of @x/kv-cache; also an `XError` (`XError.isInstance(e)` is true). */
export class KvCacheError extends XError {
  readonly [marker] = true;
  declare readonly code: KvCacheErrorCode;

  constructor(code: KvCacheErrorCode, message: string, options: XErrorOptions = {}) {
    super(code, message, options);
    this.name = 'KvCacheError';
  }

  /** True for a `KvCacheError` from any copy of @x/kv-cache. */
  static override isInstance(value: unknown): value is KvCacheError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/** True for a `KvCacheError` from any copy of @x/kv-cache. */
export function isKvCacheError(value: unknown): value is KvCacheError {
  return KvCacheError.isInstance(value);
}

/** `KV_INVALID_OPTION` naming the option, its value and what was expected. */
export function invalidOption(
  caller: string,
  option: string,
  value: unknown,
  expected: string,
): KvCacheError {
  return new KvCacheError(
    'KV_INVALID_OPTION',
    `${caller}: ${option} must be ${expected}, got ${String(value)}`,
    {
      details: { option, value },
    },
  );
}
