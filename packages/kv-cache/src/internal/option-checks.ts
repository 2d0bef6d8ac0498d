import { invalidOption } from '../errors';

/** Throws `KV_INVALID_OPTION` for any key not in `known`. */
export function assertKnownOptions(
  policy: string,
  options: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw invalidOption(
        `policy '${policy}'`,
        `options.${key}`,
        options[key],
        `one of: ${known.join(', ') || '(none)'}`,
      );
    }
  }
}

export function assertNoOptions(policy: string, options: Record<string, unknown>): void {
  assertKnownOptions(policy, options, []);
}

/** An integer option within [min, max], or its default. */
export function integerOption(
  policy: string,
  options: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
): number {
  const value = options[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidOption(`policy '${policy}'`, `options.${key}`, value, `an integer >= ${min}`);
  }
  return value;
}
