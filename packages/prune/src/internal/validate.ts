import { invalidOption, PruneError } from '../errors';
import type { SparsityPattern, WeightMatrix } from '../types';

/** Throws PRUNE_SHAPE_MISMATCH unless `weight.data.length === rows * columns` with positive integer sizes. */
export function checkWeightMatrix(weight: WeightMatrix, argument = 'weight'): void {
  const { rows, columns, data } = weight;
  if (!Number.isInteger(rows) || !Number.isInteger(columns) || rows <= 0 || columns <= 0) {
    throw new PruneError('PRUNE_SHAPE_MISMATCH', `${argument}: rows and columns must be positive integers`, {
      details: { argument, rows, columns },
    });
  }
  if (!(data instanceof Float32Array) || data.length !== rows * columns) {
    throw new PruneError(
      'PRUNE_SHAPE_MISMATCH',
      `${argument}: expected a Float32Array of ${rows}x${columns}=${rows * columns}, got ${data?.length}`,
      { details: { argument, rows, columns, length: data?.length } },
    );
  }
}

/** Throws PRUNE_SHAPE_MISMATCH unless `array.length === expected`. */
export function checkLength(array: ArrayLike<number> | undefined, expected: number, argument: string): void {
  if (array === undefined || array.length !== expected) {
    throw new PruneError(
      'PRUNE_SHAPE_MISMATCH',
      `${argument}: expected length ${expected}, got ${array === undefined ? 'nothing' : array.length}`,
      { details: { argument, expected, length: array?.length } },
    );
  }
}

/** Validates a sparsity ratio: a finite number strictly inside (0, 1). */
export function checkSparsity(sparsity: number, option = 'sparsity'): void {
  if (typeof sparsity !== 'number' || !(sparsity > 0 && sparsity < 1)) {
    throw invalidOption(option, `must be a number in (0, 1), got ${String(sparsity)}`, sparsity);
  }
}

/** Validates a pattern, and for N:M that `columns` is a multiple of M. */
export function checkPattern(pattern: SparsityPattern, columns?: number, option = 'pattern'): void {
  if (pattern === null || typeof pattern !== 'object')
    throw invalidOption(option, 'must be an object', pattern);
  if (pattern.kind === 'unstructured') {
    checkSparsity(pattern.sparsity, `${option}.sparsity`);
    return;
  }
  if (pattern.kind !== 'nm')
    throw invalidOption(option, `unknown kind ${String((pattern as { kind: unknown }).kind)}`);
  const { n, m } = pattern;
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 1 || m < 2 || n >= m) {
    throw invalidOption(option, `N:M needs integers 1 <= N < M, got ${n}:${m}`, { n, m });
  }
  if (columns !== undefined && columns % m !== 0) {
    throw invalidOption(
      option,
      `N:M with M=${m} needs the input width to be a multiple of M, got ${columns}`,
      {
        n,
        m,
        columns,
      },
    );
  }
}

/** Validates a positive integer option. */
export function checkPositiveInteger(value: number, option: string): void {
  if (!Number.isInteger(value) || value <= 0)
    throw invalidOption(option, `must be a positive integer, got ${value}`, value);
}

/** Validates a finite non-negative number option. */
export function checkNonNegative(value: number, option: string): void {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw invalidOption(option, `must be a finite number >= 0, got ${String(value)}`, value);
  }
}
