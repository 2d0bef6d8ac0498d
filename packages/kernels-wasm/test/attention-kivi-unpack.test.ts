import { describe, expect, it } from 'vitest';
import {
  appendKiviToken,
  dequantizeKiviCache,
  flushKiviCache,
  type KiviBits,
  packKiviCache,
  unpackKiviCache,
} from '../src/index';
import { randomFloats, seeded } from './kernel-tester';

describe('unpackKiviCache', () => {
  it.each([2, 4, 8] as KiviBits[])(
    '%i-bit: bit-exact with the reference dequantizeKiviCache (quantized parts + windows)',
    (bits) => {
      const random = seeded(bits);
      const [heads, headDim, length] = [3, 64, 150];
      const rows = (count: number) => randomFloats(random, heads * count * headDim, 3);
      // Capacity above the length, so the layout's strides differ from the tokens held.
      const cache = packKiviCache(rows(length), rows(length), {
        numKvHeads: heads,
        kvLength: length,
        headDim,
        bits,
        residualLength: 64,
        capacity: 512,
      });
      for (let t = 0; t < 20; t++) {
        appendKiviToken(cache, rows(1), rows(1));
        flushKiviCache(cache, 64);
      }
      expect(cache.keyQuantizedLength).toBeGreaterThan(0);
      expect(cache.keyResidualLength).toBeGreaterThan(0);
      const expected = dequantizeKiviCache(cache);
      const key = new Float32Array(expected.key.length).fill(Number.NaN);
      const value = new Float32Array(expected.value.length).fill(Number.NaN);
      unpackKiviCache(cache, key, value);
      expect(key).toEqual(expected.key);
      expect(value).toEqual(expected.value);
    },
  );
});
