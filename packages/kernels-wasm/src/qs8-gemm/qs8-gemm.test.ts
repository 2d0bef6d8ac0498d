import { describe, expect, it } from 'vitest';
import { kernelsFor, randomInt, seeded, testedIsas } from '../../test/kernel-tester';
import { qs8GemmRef } from '../reference/qs8-gemm.ref';
import { packQs8Gemm } from './pack-qs8-gemm';
import { qs8Gemm } from './qs8-gemm';

function randomInt8(random: () => number, length: number): Int8Array {
  return Int8Array.from({ length }, () => randomInt(random, -128, 127));
}

describe.each(testedIsas)('qs8Gemm (%s)', (isa) => {
  it('equals the integer twin exactly on random shapes, odd k and n included', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(31);
    const shapes = [
      [1, 1, 1],
      [1, 7, 9],
      [4, 8, 8],
      [5, 33, 17],
      [9, 2, 3],
    ];
    for (let trial = 0; trial < 5; trial++)
      shapes.push([randomInt(random, 1, 40), randomInt(random, 1, 90), randomInt(random, 1, 30)]);
    for (const [m, k, n] of shapes) {
      const a = randomInt8(random, m * k);
      const b = randomInt8(random, k * n);
      const bias =
        m % 2 === 0 ? Int32Array.from({ length: n }, () => randomInt(random, -5000, 5000)) : undefined;
      const weights = packQs8Gemm(kernels, b, { k, n, bias });
      expect(Array.from(qs8Gemm(kernels, a, weights, { m }))).toEqual(
        Array.from(qs8GemmRef(a, b, { m, k, n }, bias)),
      );
      weights.dispose();
    }
  });

  it('saturating extremes stay exact (-128 * -128 over long k)', async () => {
    const kernels = await kernelsFor(isa);
    const [m, k, n] = [3, 1001, 5];
    const a = new Int8Array(m * k).fill(-128);
    const b = new Int8Array(k * n).fill(-128);
    const weights = packQs8Gemm(kernels, b, { k, n, transposed: true });
    expect(Array.from(qs8Gemm(kernels, a, weights, { m }))).toEqual(new Array(m * n).fill(128 * 128 * k));
    weights.dispose();
  });

  it('rejects a Uint8Array A with KERNEL_DTYPE_MISMATCH', async () => {
    const kernels = await kernelsFor(isa);
    const weights = packQs8Gemm(kernels, new Int8Array(4), { k: 2, n: 2 });
    expect(() => qs8Gemm(kernels, new Uint8Array(4) as never, weights, { m: 2 })).toThrow(
      expect.objectContaining({ code: 'KERNEL_DTYPE_MISMATCH' }),
    );
    weights.dispose();
  });
});
