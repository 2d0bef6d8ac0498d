import { describe, expect, it } from 'vitest';
import { isKernelError } from '../errors';
import { hadamardFactor, hadamardFactorMatrix, hadamardMatrix, hadamardOrders } from './hadamard-matrix';

/** Max |(H H^T)[i][j] - n·δij| over the matrix, exact in integers. */
function orthogonalityDefect(h: Int8Array, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let dot = 0;
      for (let c = 0; c < n; c++) dot += h[i * n + c] * h[j * n + c];
      worst = Math.max(worst, Math.abs(dot - (i === j ? n : 0)));
    }
  }
  return worst;
}

function onlySigns(h: Int8Array): boolean {
  return h.every((v) => v === 1 || v === -1);
}

describe('hadamardFactorMatrix', () => {
  it.each([...hadamardOrders])('order %i has +-1 entries and H H^T = n I', (k) => {
    const h = hadamardFactorMatrix(k);
    expect(h.length).toBe(k * k);
    expect(onlySigns(h)).toBe(true);
    expect(orthogonalityDefect(h, k)).toBe(0);
  });

  it('rejects unsupported orders with a typed error', () => {
    expect.assertions(2);
    try {
      hadamardFactorMatrix(24);
    } catch (error) {
      expect(isKernelError(error)).toBe(true);
      expect((error as { code: string }).code).toBe('KERNEL_UNSUPPORTED_SIZE');
    }
  });
});

describe('hadamardFactor', () => {
  it('splits n into K * 2^m in QuaRot order', () => {
    expect(hadamardFactor(4096)).toEqual({ k: 1, powerOfTwo: 4096 });
    expect(hadamardFactor(11008)).toEqual({ k: 172, powerOfTwo: 64 });
    expect(hadamardFactor(14336)).toEqual({ k: 28, powerOfTwo: 512 });
    expect(hadamardFactor(5120)).toEqual({ k: 40, powerOfTwo: 128 });
    expect(hadamardFactor(12)).toEqual({ k: 12, powerOfTwo: 1 });
    expect(hadamardFactor(1)).toEqual({ k: 1, powerOfTwo: 1 });
  });

  it('returns null for sizes without a construction', () => {
    for (const n of [0, -4, 3, 6, 168, 100, 1.5, 4 * 67]) expect(hadamardFactor(n)).toBeNull();
  });
});

describe('hadamardMatrix', () => {
  it.each([1, 2, 8, 64, 24, 80, 96, 144, 312])('n=%i is Hadamard', (n) => {
    const h = hadamardMatrix(n);
    expect(onlySigns(h)).toBe(true);
    expect(orthogonalityDefect(h, n)).toBe(0);
  });

  it('is H_K (x) H_2^m with H_K outer', () => {
    const n = 48;
    const h = hadamardMatrix(n);
    const hk = hadamardFactorMatrix(12);
    const h4 = hadamardMatrix(4);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        expect(h[i * n + j]).toBe(hk[(i >> 2) * 12 + (j >> 2)] * h4[(i & 3) * 4 + (j & 3)]);
  });

  it('powers of two follow Sylvester ordering', () => {
    const h = hadamardMatrix(16);
    expect(h[3 * 16 + 5]).toBe(-1); // popcount(3 & 5) = 1
    expect(h[3 * 16 + 7]).toBe(1); // popcount(3 & 7) = 2
  });

  it('throws KERNEL_UNSUPPORTED_SIZE for n = 100', () => {
    expect(() => hadamardMatrix(100)).toThrow(/not K \* 2\^m/);
  });
});
