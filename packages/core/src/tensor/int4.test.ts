import { describe, expect, it } from 'vitest';
import { isXError } from '../errors';
import { packInt4, unpackInt4 } from './int4';

describe('packInt4 / unpackInt4', () => {
  it('packs low nibble first, as ORT does', () => {
    // ORT's documented example: int4 [1, -2, 3, -4] -> bytes 0xE1, 0xC3.
    expect([...packInt4([1, -2, 3, -4])]).toEqual([0xe1, 0xc3]);
    expect([...packInt4([15, 0, 7], 'uint4')]).toEqual([0x0f, 0x07]);
  });

  it('round-trips every value, odd lengths included', () => {
    const signed = Array.from({ length: 17 }, (_, i) => (i % 16) - 8);
    expect([...unpackInt4(packInt4(signed), 17)]).toEqual(signed);
    const unsigned = Array.from({ length: 33 }, (_, i) => i % 16);
    expect([...unpackInt4(packInt4(unsigned, 'uint4'), 33, 'uint4')]).toEqual(unsigned);
  });

  it('rejects out-of-range values and wrong packed lengths with typed errors', () => {
    expect(() => packInt4([8])).toThrow(/values\[0\] is 8/);
    expect(() => packInt4([-1], 'uint4')).toThrow(/uint4 range/);
    try {
      unpackInt4(new Uint8Array(2), 5);
      expect.unreachable();
    } catch (e) {
      expect(isXError(e) && e.code).toBe('X_SHAPE_MISMATCH');
    }
  });
});
