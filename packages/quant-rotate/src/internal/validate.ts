import { QuantError } from '../errors';
import type { Matrix } from '../types';

/** Throws `QUANT_SHAPE_MISMATCH` unless `matrix.data.length === rows * cols` and dims are positive. */
export function assertMatrix(matrix: Matrix, argument: string): void {
  const { rows, cols, data } = matrix;
  if (
    !Number.isInteger(rows) ||
    !Number.isInteger(cols) ||
    rows < 1 ||
    cols < 1 ||
    data.length !== rows * cols
  ) {
    throw new QuantError(
      'QUANT_SHAPE_MISMATCH',
      `${argument}: expected a ${rows}x${cols} matrix with ${rows * cols} values, got ${data.length}`,
      { details: { argument, rows, cols, length: data.length } },
    );
  }
}

/** Throws `QUANT_SHAPE_MISMATCH` unless the matrix is n x n. */
export function assertSquare(matrix: Matrix, argument: string, n?: number): void {
  assertMatrix(matrix, argument);
  if (matrix.rows !== matrix.cols || (n !== undefined && matrix.rows !== n)) {
    throw new QuantError(
      'QUANT_SHAPE_MISMATCH',
      `${argument}: expected a square${n === undefined ? '' : ` ${n}x${n}`} matrix, got ${matrix.rows}x${matrix.cols}`,
      { details: { argument, rows: matrix.rows, cols: matrix.cols, expected: n } },
    );
  }
}

/** Throws `QUANT_INVALID_OPTION` unless `value` is a finite number in [min, max]. */
export function assertNumberInRange(value: number, option: string, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new QuantError(
      'QUANT_INVALID_OPTION',
      `${option} must be a number in [${min}, ${max}], got ${value}`,
      {
        details: { option, value, min, max },
      },
    );
  }
}

/** Throws `QUANT_INVALID_OPTION` unless `value` is an integer in [min, max]. */
export function assertIntegerInRange(value: number, option: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new QuantError(
      'QUANT_INVALID_OPTION',
      `${option} must be an integer in [${min}, ${max}], got ${value}`,
      {
        details: { option, value, min, max },
      },
    );
  }
}

/** Throws `QUANT_UNSUPPORTED_BITS` unless `bits` is one of `allowed`. */
export function assertBits(bits: number, allowed: readonly number[], what: string): void {
  if (!allowed.includes(bits)) {
    throw new QuantError(
      'QUANT_UNSUPPORTED_BITS',
      `${what}: bits must be one of ${allowed.join(', ')}, got ${bits}`,
      {
        details: { option: 'bits', bits, supported: allowed },
      },
    );
  }
}

/** Throws `QUANT_INVALID_GROUP_SIZE` unless `groupSize` is a positive integer dividing `channels`. */
export function assertGroupSize(groupSize: number, channels: number, what: string): void {
  if (!Number.isInteger(groupSize) || groupSize < 1 || channels % groupSize !== 0) {
    throw new QuantError(
      'QUANT_INVALID_GROUP_SIZE',
      `${what}: groupSize ${groupSize} must be a positive integer dividing the ${channels} channels`,
      { details: { option: 'groupSize', groupSize, channels } },
    );
  }
}
