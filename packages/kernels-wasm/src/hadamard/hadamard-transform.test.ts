import { describe, expect, it } from 'vitest';
import { expectClose, kernelsFor, randomFloats, seeded } from '../../test/kernel-tester';
import { hadamardTransformRef } from '../reference/hadamard.ref';
import { hadamardMatrix, hadamardOrders } from './hadamard-matrix';
import { hadamardTransform } from './hadamard-transform';

// Entries are +-1 and the scale is 1/sqrt(n): fp32 sums of n terms of |x| <= 1, scaled: ~1e-6 * log n.
const tolerance = { absolute: 2e-6, relative: 1e-5 };

describe('hadamardTransformRef (the twin) vs the dense matrix', () => {
  it.each([1, 2, 4, 64, 12, 24, 80, 144, 156, 172 * 2])('n=%i equals H x / sqrt(n)', (n) => {
    const random = seeded(n);
    const x = randomFloats(random, 2 * n);
    const h = hadamardMatrix(n);
    const expected = new Float32Array(2 * n);
    for (let row = 0; row < 2; row++)
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += h[i * n + j] * x[row * n + j];
        expected[row * n + i] = sum / Math.sqrt(n);
      }
    expectClose(hadamardTransformRef(x, n, 2), expected, { absolute: 1e-6, relative: 1e-6 });
  });
});

describe('hadamardTransform (wasm)', () => {
  it('matches the twin for every K and many powers of two', async () => {
    const kernels = await kernelsFor('simd');
    const random = seeded(5);
    const sizes = [1, 2, 4, 8, 16, 32, 256, 4096];
    for (const k of hadamardOrders) for (const p of [1, 2, 4, 8, 32]) sizes.push(k * p);
    sizes.push(172 * 64, 28 * 512);
    for (const n of sizes) {
      const rows = n > 4096 ? 1 : 3;
      const x = randomFloats(random, rows * n);
      expectClose(hadamardTransform(kernels, x, { n, rows }), hadamardTransformRef(x, n, rows), tolerance);
    }
  });

  it('is orthonormal: norms kept, and self-inverse for powers of two', async () => {
    const kernels = await kernelsFor('simd');
    const random = seeded(6);
    for (const n of [1024, 172 * 16]) {
      const x = randomFloats(random, n);
      const y = hadamardTransform(kernels, x, { n });
      const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, t) => s + t * t, 0));
      expect(Math.abs(norm(y) - norm(x)) / norm(x)).toBeLessThan(1e-5);
      if (n === 1024) expectClose(hadamardTransform(kernels, y, { n }), x, tolerance);
    }
  });

  it('transforms a KernelBuffer in place and leaves typed-array inputs untouched', async () => {
    const kernels = await kernelsFor('simd');
    const random = seeded(7);
    const n = 40 * 8;
    const x = randomFloats(random, 2 * n);
    const copy = x.slice();
    const buffer = kernels.alloc('float32', 2 * n);
    buffer.view().set(x);
    hadamardTransform(kernels, buffer, { n, rows: 2, out: buffer });
    expect(Array.from(x)).toEqual(Array.from(copy));
    expectClose(buffer.view(), hadamardTransformRef(x, n, 2), tolerance);
    buffer.free();
  });

  it('rejects unsupported sizes with KERNEL_UNSUPPORTED_SIZE', async () => {
    const kernels = await kernelsFor('simd');
    expect(() => hadamardTransform(kernels, new Float32Array(100), { n: 100 })).toThrow(
      expect.objectContaining({ code: 'KERNEL_UNSUPPORTED_SIZE' }),
    );
  });
});
