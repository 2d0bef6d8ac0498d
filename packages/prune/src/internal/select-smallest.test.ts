import { createRng } from '@x/core';
import { describe, expect, it } from 'vitest';
import { argsortStable } from './argsort';
import { markSmallest } from './select-smallest';

describe('markSmallest', () => {
  it('marks the same set as the first `count` of a stable argsort, ties and NaN included', () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 200; trial++) {
      const length = 1 + rng.int(40);
      const values = Array.from({ length }, () => (rng.next() < 0.1 ? Number.NaN : rng.int(6) - 2));
      const count = rng.int(length + 1);
      const mask = new Uint8Array(length + 3);
      markSmallest(values, 0, length, count, mask, 3, new Float64Array(length));
      const expected = new Uint8Array(length + 3);
      const order = argsortStable(values);
      for (let k = 0; k < count; k++) expected[3 + order[k]] = 1;
      expect(mask).toEqual(expected);
    }
  });
});
