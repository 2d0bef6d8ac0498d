import { markSmallest } from '../internal/select-smallest';
import { checkLength, checkSparsity } from '../internal/validate';
import type { PruneMask } from '../types';

/**
 * Number of weights pruned per row of width `columns` at `sparsity`: `floor(sparsity * columns)`,
 * Wanda's `int(W.shape[1] * sparsity_ratio)` (brief §1). Rounding is always down, so a row never exceeds the
 * target; at 0.6 of 100 columns exactly 60 go, at 0.5 of 7 columns 3 go.
 */
export function prunedPerRow(columns: number, sparsity: number): number {
  // The small epsilon keeps 0.7 * 10 = 6.999999999 from rounding down to 6.
  return Math.floor(sparsity * columns + 1e-9);
}

/**
 * Unstructured mask with Wanda's comparison group, each output row (brief §1): in every row, the
 * `floor(sparsity * columns)` entries of smallest score are pruned (stable order: among equal scores the lower
 * column index goes first). Sparsity is therefore exactly uniform per row.
 */
export function selectRowMask(
  scores: ArrayLike<number>,
  rows: number,
  columns: number,
  sparsity: number,
): PruneMask {
  checkSparsity(sparsity);
  checkLength(scores, rows * columns, 'scores');
  const mask = new Uint8Array(rows * columns);
  const count = prunedPerRow(columns, sparsity);
  const scratch = new Float64Array(columns);
  for (let i = 0; i < rows; i++)
    markSmallest(scores, i * columns, columns, count, mask, i * columns, scratch);
  return mask;
}

/**
 * Unstructured mask with one comparison group for the whole matrix (the magnitude baseline of the Wanda repo):
 * the `floor(sparsity * rows * columns)` smallest scores are pruned, stable by flat index.
 * Deviation, stated: the official code prunes `|W| <= sorted[floor(s*numel)]`, one entry more plus ties;
 * this takes exactly the target count.
 */
export function selectMatrixMask(
  scores: ArrayLike<number>,
  rows: number,
  columns: number,
  sparsity: number,
): PruneMask {
  checkSparsity(sparsity);
  checkLength(scores, rows * columns, 'scores');
  const total = rows * columns;
  const mask = new Uint8Array(total);
  markSmallest(scores, 0, total, prunedPerRow(total, sparsity), mask, 0, new Float64Array(total));
  return mask;
}
