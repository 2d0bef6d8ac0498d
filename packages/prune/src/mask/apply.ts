import { checkLength } from '../internal/validate';
import type { PruneMask, WeightMatrix } from '../types';

/** A copy of `weight` with masked entries set to 0. The input is never modified. */
export function applyMask(weight: WeightMatrix, mask: PruneMask): WeightMatrix {
  checkLength(mask, weight.rows * weight.columns, 'mask');
  const data = Float32Array.from(weight.data);
  for (let k = 0; k < data.length; k++) if (mask[k] === 1) data[k] = 0;
  return { data, rows: weight.rows, columns: weight.columns };
}

/** Fraction pruned in each row of a mask. */
export function rowSparsity(mask: PruneMask, rows: number, columns: number): Float64Array {
  const result = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let count = 0;
    for (let j = 0; j < columns; j++) count += mask[i * columns + j];
    result[i] = count / columns;
  }
  return result;
}

/** Fraction of the whole mask that is pruned. */
export function maskSparsity(mask: PruneMask): number {
  let count = 0;
  for (let k = 0; k < mask.length; k++) count += mask[k];
  return mask.length === 0 ? 0 : count / mask.length;
}
