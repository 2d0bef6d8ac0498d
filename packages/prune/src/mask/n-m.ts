import { checkLength, checkPattern } from '../internal/validate';
import type { PruneMask } from '../types';

/**
 * N:M mask (brief §1, Wanda `--sparsity_type`): in every row and every group of `m` consecutive input columns
 * `[g*m, g*m+m)`, the `m - n` entries of smallest score are pruned and `n` stay nonzero ("2:4" keeps 2 of 4).
 * Ties prune the lower column first. `columns` must be a multiple of `m`.
 */
export function selectNmMask(
  scores: ArrayLike<number>,
  rows: number,
  columns: number,
  n: number,
  m: number,
): PruneMask {
  checkPattern({ kind: 'nm', n, m }, columns);
  checkLength(scores, rows * columns, 'scores');
  const mask = new Uint8Array(rows * columns);
  const pruneCount = m - n;
  const group = new Float64Array(m);
  const order = new Uint8Array(m);
  for (let i = 0; i < rows; i++) {
    for (let start = i * columns; start < (i + 1) * columns; start += m) {
      for (let k = 0; k < m; k++) {
        group[k] = scores[start + k];
        order[k] = k;
      }
      // Partial stable selection of the pruneCount smallest (m <= 16 or so: a selection loop beats a sort).
      for (let a = 0; a < pruneCount; a++) {
        let best = a;
        for (let b = a + 1; b < m; b++) {
          const vb = group[order[b]];
          const vbest = group[order[best]];
          if (vb < vbest || (vb === vbest && order[b] < order[best])) best = b;
        }
        const swap = order[a];
        order[a] = order[best];
        order[best] = swap;
        mask[start + order[a]] = 1;
      }
    }
  }
  return mask;
}

/** True when every group of `m` consecutive columns of every row has at most `n` kept entries (exactly `m - n` pruned when `exact`). */
export function isNmMask(
  mask: PruneMask,
  rows: number,
  columns: number,
  n: number,
  m: number,
  exact = true,
): boolean {
  if (columns % m !== 0 || mask.length !== rows * columns) return false;
  for (let start = 0; start < rows * columns; start += m) {
    let pruned = 0;
    for (let k = 0; k < m; k++) pruned += mask[start + k];
    if (exact ? pruned !== m - n : pruned < m - n) return false;
  }
  return true;
}
