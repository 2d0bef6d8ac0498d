import { XError } from '../errors';

/**
 * Number of elements of a tensor with these dims (1 for a scalar `[]`).
 * Throws `X_SHAPE_MISMATCH` naming `argument` when a dim is not a non-negative safe integer.
 */
export function tensorSize(dims: readonly number[], argument = 'dims'): number {
  if (!Array.isArray(dims)) {
    throw new XError('X_SHAPE_MISMATCH', `${argument} must be an array of non-negative integers`, {
      details: { argument },
    });
  }
  let size = 1;
  for (let i = 0; i < dims.length; i++) {
    const dim = dims[i];
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new XError(
        'X_SHAPE_MISMATCH',
        `${argument}[${i}] is ${String(dim)}; dims must be non-negative integers (got [${dims.join(', ')}])`,
        { details: { argument, index: i, dims: [...dims] } },
      );
    }
    size *= dim;
  }
  return size;
}
