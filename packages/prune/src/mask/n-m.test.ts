import { describe, expect, it } from 'vitest';
import { createRng, randomMatrix } from '../../test/helpers/layers';
import { isPruneError } from '../errors';
import { isNmMask, selectNmMask } from './n-m';

describe('selectNmMask', () => {
  it.each([
    [2, 4],
    [4, 8],
    [8, 16],
    [1, 4],
  ])('%i:%i keeps the N largest of every M consecutive inputs in every row', (n, m) => {
    const rng = createRng(n * 100 + m);
    const rows = 5;
    const columns = m * 6;
    const scores = randomMatrix(rng, rows, columns);
    const mask = selectNmMask(scores, rows, columns, n, m);
    expect(isNmMask(mask, rows, columns, n, m)).toBe(true);
    for (let start = 0; start < rows * columns; start += m) {
      let keptMin = Number.POSITIVE_INFINITY;
      let prunedMax = Number.NEGATIVE_INFINITY;
      let kept = 0;
      for (let k = start; k < start + m; k++) {
        if (mask[k]) prunedMax = Math.max(prunedMax, scores[k]);
        else {
          keptMin = Math.min(keptMin, scores[k]);
          kept++;
        }
      }
      expect(kept).toBe(n);
      expect(prunedMax).toBeLessThanOrEqual(keptMin);
    }
  });

  it('"2:4" means two nonzero of four; ties prune the lower index', () => {
    expect(Array.from(selectNmMask([3, 1, 2, 4, 0, 0, 0, 0], 1, 8, 2, 4))).toEqual([0, 1, 1, 0, 1, 1, 0, 0]);
  });

  it('rejects N >= M and widths not divisible by M with typed errors', () => {
    for (const [n, m, columns] of [
      [4, 4, 8],
      [5, 4, 8],
      [0, 4, 8],
      [2, 4, 6],
    ]) {
      try {
        selectNmMask(new Float32Array(columns), 1, columns, n, m);
        expect.unreachable();
      } catch (error) {
        expect(isPruneError(error) && error.code).toBe('PRUNE_INVALID_OPTION');
      }
    }
  });

  it('isNmMask detects a broken group', () => {
    expect(isNmMask(Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0]), 1, 8, 2, 4)).toBe(false);
  });
});
