import { invalidOption } from '../errors';
import { checkPattern } from '../internal/validate';
import type { SparsityPattern } from '../types';

/**
 * Parses `"2:4"` / `"4:8"` / `"8:16"` (N kept of every M) or a sparsity ratio (`0.6`, `"0.6"`) into a pattern.
 * Throws PRUNE_INVALID_OPTION on anything else (N >= M, ratio outside (0, 1), junk).
 */
export function parseSparsityPattern(value: string | number, option = 'pattern'): SparsityPattern {
  if (typeof value === 'number') {
    const pattern: SparsityPattern = { kind: 'unstructured', sparsity: value };
    checkPattern(pattern, undefined, option);
    return pattern;
  }
  const text = String(value).trim();
  const nm = /^(\d+):(\d+)$/.exec(text);
  if (nm) {
    const pattern: SparsityPattern = { kind: 'nm', n: Number(nm[1]), m: Number(nm[2]) };
    checkPattern(pattern, undefined, option);
    return pattern;
  }
  if (/^\d*\.?\d+(e-?\d+)?$/i.test(text)) return parseSparsityPattern(Number(text), option);
  throw invalidOption(option, `expected "N:M" or a ratio in (0, 1), got ${JSON.stringify(value)}`, value);
}

/** The fraction of weights a pattern removes: `sparsity`, or `(M - N) / M` for N:M. */
export function patternSparsity(pattern: SparsityPattern): number {
  return pattern.kind === 'unstructured' ? pattern.sparsity : (pattern.m - pattern.n) / pattern.m;
}

/** Human-readable form: `"2:4"` or `"0.6"`. */
export function formatSparsityPattern(pattern: SparsityPattern): string {
  return pattern.kind === 'nm' ? `${pattern.n}:${pattern.m}` : String(pattern.sparsity);
}
