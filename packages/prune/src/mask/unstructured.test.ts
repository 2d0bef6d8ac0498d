import { describe, expect, it } from 'vitest';
import { createRng, randomMatrix } from '../../test/helpers/layers';
import { isPruneError } from '../errors';
import { prunedPerRow, selectMatrixMask, selectRowMask } from './unstructured';

/** Reference: repeatedly take the smallest not-yet-taken score of the row (lowest index on ties). */
function referenceRowMask(
  scores: ArrayLike<number>,
  rows: number,
  columns: number,
  count: number,
): Uint8Array {
  const mask = new Uint8Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < count; c++) {
      let best = -1;
      for (let j = 0; j < columns; j++) {
        if (mask[i * columns + j]) continue;
        if (best < 0 || scores[i * columns + j] < scores[i * columns + best]) best = j;
      }
      mask[i * columns + best] = 1;
    }
  }
  return mask;
}

function expectInvalid(run: () => unknown): void {
  try {
    run();
    expect.unreachable();
  } catch (error) {
    expect(isPruneError(error) && error.code).toBe('PRUNE_INVALID_OPTION');
  }
}

describe('selectRowMask', () => {
  it('prunes exactly floor(s·columns) smallest per row, matching a selection-loop reference', () => {
    const rng = createRng(1);
    for (const [rows, columns, sparsity] of [
      [5, 16, 0.5],
      [7, 33, 0.6],
      [3, 10, 0.7],
      [4, 7, 0.5],
    ] as const) {
      const scores = randomMatrix(rng, rows, columns);
      const mask = selectRowMask(scores, rows, columns, sparsity);
      const count = Math.floor(sparsity * columns + 1e-9);
      expect(mask).toEqual(referenceRowMask(scores, rows, columns, count));
      for (let i = 0; i < rows; i++) {
        expect(mask.subarray(i * columns, (i + 1) * columns).reduce((a, b) => a + b, 0)).toBe(count);
      }
    }
  });

  it('rounds down and breaks ties toward the lower column', () => {
    expect(prunedPerRow(10, 0.7)).toBe(7);
    expect(prunedPerRow(7, 0.5)).toBe(3);
    expect(prunedPerRow(100, 0.6)).toBe(60);
    expect(Array.from(selectRowMask([1, 1, 1, 1], 1, 4, 0.5))).toEqual([1, 1, 0, 0]);
  });

  it('rejects sparsity outside (0, 1) with a typed error', () => {
    for (const bad of [0, 1, -0.1, 1.5, Number.NaN]) expectInvalid(() => selectRowMask([1, 2], 1, 2, bad));
  });
});

describe('selectMatrixMask', () => {
  it('uses one threshold for the whole matrix', () => {
    const scores = [5, 6, 7, 8, 1, 2, 3, 4];
    expect(Array.from(selectMatrixMask(scores, 2, 4, 0.5))).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    const rng = createRng(2);
    const random = randomMatrix(rng, 6, 9);
    expect(selectMatrixMask(random, 6, 9, 0.4)).toEqual(referenceRowMask(random, 1, 54, 21));
  });
});
