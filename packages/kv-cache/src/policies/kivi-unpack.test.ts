import { createRng } from '@x/core';
import {
  appendKiviToken,
  dequantizeKiviCache,
  flushKiviCache,
  type KiviBits,
  packKiviCache,
} from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { unpackKiviCache } from './kivi-unpack';

describe('unpackKiviCache', () => {
  it.each([2, 4, 8] as KiviBits[])(
    '%i-bit: bit-exact with the reference dequantizeKiviCache (quantized parts + windows)',
    (bits) => {
      const rng = createRng(bits);
      const [heads, headDim, length] = [3, 64, 150];
      const rows = (count: number) =>
        Float32Array.from({ length: heads * count * headDim }, () => rng.normal() * 3);
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
