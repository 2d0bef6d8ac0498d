import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float16ToFloat32, float32ToFloat16, float32ToFloat16Bits } from './float16';

describe('float16', () => {
  it('round-trips every one of the 65536 half bit patterns (NaNs stay NaN)', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(bits));
    for (let i = 0; i < 65536; i++) {
      const isNan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (isNan) expect(Number.isNaN(float16BitsToFloat32(back[i]))).toBe(true);
      else if (back[i] !== i) expect.fail(`bits ${i} came back as ${back[i]}`);
    }
  });

  it('decodes known values', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('rounds to nearest, ties to even, against an exhaustive nearest-half search', () => {
    // Reference: pick the nearest finite half by brute force among neighbours of the truncated value.
    const halves = float16ToFloat32(new Uint16Array(0x7c00).map((_, i) => i)); // non-negative finite halves
    const check = (x: number) => {
      const got = float16BitsToFloat32(float32ToFloat16Bits(x));
      if (x >= 65520) return expect(got).toBe(Number.POSITIVE_INFINITY);
      let lo = 0;
      let hi = halves.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (halves[mid] <= x) lo = mid;
        else hi = mid;
      }
      const dLo = x - halves[lo];
      const dHi = halves[hi] - x;
      const expected =
        dLo < dHi ? halves[lo] : dHi < dLo ? halves[hi] : lo % 2 === 0 ? halves[lo] : halves[hi];
      if (got !== expected) expect.fail(`${x}: got ${got}, expected ${expected}`);
    };
    for (let i = 0; i < halves.length - 1; i += 7) {
      const a = halves[i];
      const b = halves[i + 1];
      for (const x of [a, (a + b) / 2, a + (b - a) * 0.25, a + (b - a) * 0.75]) check(Math.fround(x));
    }
    check(65519);
    check(65520);
    check(1e-10);
  });

  it('keeps the sign of negative values and NaN', () => {
    expect(float16BitsToFloat32(float32ToFloat16Bits(-1.5))).toBe(-1.5);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN)))).toBe(true);
    expect(float32ToFloat16Bits(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
  });
});
