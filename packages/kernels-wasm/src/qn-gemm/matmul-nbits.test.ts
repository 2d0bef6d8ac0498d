import { describe, expect, it } from 'vitest';
import { kernelsFor, randomFloats, seeded, testedIsas } from '../../test/kernel-tester';
import { isKernelError } from '../errors';
import { dequantizeMatMulNBitsRef, matMulNBitsRef } from '../reference/matmul-nbits.ref';
import { loadMatMulNBits } from './load-matmul-nbits';
import { matMulNBits } from './matmul-nbits';

function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

/**
 * Error bound: A is staged as int16 per block (|error| <= max|a_block| / 65534 per element), so
 * |y - ref| <= sum_b (max|a_b| / 65534) * sum_{j in b} |w_j|, plus fp32 rounding of the sum.
 */
function errorBound(
  a: Float32Array,
  w: Float64Array,
  row: number,
  column: number,
  k: number,
  blockSize: number,
): number {
  let bound = 0;
  let magnitude = 0;
  for (let start = 0; start < k; start += blockSize) {
    let amax = 0;
    let wsum = 0;
    for (let p = start; p < Math.min(k, start + blockSize); p++) {
      amax = Math.max(amax, Math.abs(a[row * k + p]));
      wsum += Math.abs(w[column * k + p]);
      magnitude += Math.abs(a[row * k + p] * w[column * k + p]);
    }
    bound += (amax / 65534) * wsum;
  }
  return bound + 1e-5 * magnitude + 1e-6;
}

describe.each(testedIsas)('matMulNBits (%s)', (isa) => {
  it.each([4, 8] as const)(
    '%i-bit matches the twin on random shapes, zero points on and off',
    async (bits) => {
      const kernels = await kernelsFor(isa);
      const random = seeded(40 + bits);
      const cases: Array<[number, number, number, number, boolean]> = [
        [1, 64, 8, 32, false],
        [1, 100, 7, 32, true],
        [3, 130, 5, 64, true],
        [5, 256, 9, 128, false],
        [6, 77, 3, bits === 4 ? 32 : 16, true],
        [1, 512, 33, 256, true],
        [2, 300, 5, 32, true],
        [1, 1024, 4, 64, true],
        [4, 2048, 3, 128, false],
      ];
      for (const [m, k, n, blockSize, withZeroPoints] of cases) {
        const kBlocks = Math.ceil(k / blockSize);
        const weights = {
          b: randomBytes(random, n * kBlocks * ((blockSize * bits) / 8)),
          scales: randomFloats(random, n * kBlocks, 0.1),
          zeroPoints: withZeroPoints ? randomBytes(random, n * Math.ceil((kBlocks * bits) / 8)) : undefined,
          k,
          n,
          bits,
          blockSize,
        };
        const a = randomFloats(random, m * k);
        const loaded = loadMatMulNBits(kernels, weights);
        const y = matMulNBits(kernels, a, loaded, { m });
        const expected = matMulNBitsRef(a, m, weights);
        const w = dequantizeMatMulNBitsRef(weights);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            const error = Math.abs(y[i * n + j] - expected[i * n + j]);
            const bound = errorBound(a, w, i, j, k, blockSize);
            if (!(error <= bound))
              expect.fail(
                `m=${m} k=${k} n=${n} bs=${blockSize} at (${i}, ${j}): error ${error} > bound ${bound}`,
              );
          }
        }
        loaded.dispose();
      }
    },
  );
});

describe('matMulNBits input checks', () => {
  it('rejects bad bits, block sizes and short buffers with typed errors', async () => {
    const kernels = await kernelsFor('simd');
    const base = {
      b: new Uint8Array(64),
      scales: new Float32Array(4),
      k: 64,
      n: 2,
      bits: 4 as const,
      blockSize: 32,
    };
    const codeOf = (run: () => unknown): string => {
      try {
        run();
      } catch (error) {
        expect(isKernelError(error)).toBe(true);
        return (error as { code: string }).code;
      }
      return 'no error';
    };
    expect(codeOf(() => loadMatMulNBits(kernels, { ...base, bits: 3 as never }))).toBe(
      'KERNEL_INVALID_ARGUMENT',
    );
    expect(codeOf(() => loadMatMulNBits(kernels, { ...base, blockSize: 48 }))).toBe(
      'KERNEL_INVALID_ARGUMENT',
    );
    expect(codeOf(() => loadMatMulNBits(kernels, { ...base, blockSize: 16 }))).toBe(
      'KERNEL_INVALID_ARGUMENT',
    );
    expect(codeOf(() => loadMatMulNBits(kernels, { ...base, b: new Uint8Array(63) }))).toBe(
      'KERNEL_BUFFER_TOO_SMALL',
    );
    expect(codeOf(() => loadMatMulNBits(kernels, { ...base, zeroPoints: new Uint8Array(1) }))).toBe(
      'KERNEL_BUFFER_TOO_SMALL',
    );
    const loaded = loadMatMulNBits(kernels, base);
    expect(codeOf(() => matMulNBits(kernels, new Float32Array(63), loaded, { m: 1 }))).toBe(
      'KERNEL_BUFFER_TOO_SMALL',
    );
    loaded.dispose();
  });
});
