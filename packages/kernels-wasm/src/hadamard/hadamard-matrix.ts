/**
 * Hadamard matrices of the sizes a transformer rotation needs (QuaRot, Ashkboos et al. 2024,
 * arXiv 2404.00456, `hadamard_utils.get_hadK`): n = K * 2^m with K in {1, 12, 20, 28, 36, 40, 44,
 * 52, 60, 76, 108, 140, 156, 172}. The n x n matrix is H_K (x) H_{2^m} (Kronecker product, H_K the
 * OUTER factor): entry (i, j) = H_K[i >> m, j >> m] * (-1)^popcount(i & j & (2^m - 1)). Viewing a
 * vector x of length n as a K x 2^m row-major matrix, H x = H_K · (rows FWHT'd), which is what the
 * fast kernel computes. Entries are +1/-1 and H H^T = n I (unnormalized; divide by sqrt(n)).
 *
 * Constructions of H_K: Paley I (q + 1: 12, 20, 28 via GF(27), 44, 60, 108, 140), Paley II
 * (2(q + 1): 36, 52 via GF(25), 76), 40 = H_2 (x) H_20, Williamson (156 = 4·39, 172 = 4·43).
 */
import { KernelError } from '../errors';
import { paleyOne, paleyTwo } from './paley';
import { williamson } from './williamson';

/** How each supported K is built, in the order QuaRot's `get_hadK` tries them (largest first). */
const constructions: ReadonlyArray<readonly [number, () => Int8Array]> = [
  [172, () => williamson(43)],
  [156, () => williamson(39)],
  [140, () => paleyOne(139)],
  [108, () => paleyOne(107)],
  [76, () => paleyTwo(37)],
  [60, () => paleyOne(59)],
  [52, () => paleyTwo(25)],
  [44, () => paleyOne(43)],
  [40, () => kronecker(sylvester(2), 2, paleyOne(19), 20)],
  [36, () => paleyTwo(17)],
  [28, () => paleyOne(27)],
  [20, () => paleyOne(19)],
  [12, () => paleyOne(11)],
];

/** The non-power-of-two factors K supported, ascending. */
export const hadamardOrders: readonly number[] = constructions.map(([k]) => k).sort((a, b) => a - b);

/** `n = k * powerOfTwo`, the factorisation the Hadamard kernel uses. */
export interface HadamardFactor {
  /** The non-power-of-two factor (1 when n is a power of two). */
  k: number;
  /** 2^m. */
  powerOfTwo: number;
}

const cache = new Map<number, Int8Array>();

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/**
 * Splits n into K * 2^m with a supported K (K = 1 for powers of two), trying K in QuaRot's order
 * (largest first, so 80 -> 40 * 2). Returns null when n has no supported factorisation.
 */
export function hadamardFactor(n: number): HadamardFactor | null {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 30) return null;
  if (isPowerOfTwo(n)) return { k: 1, powerOfTwo: n };
  for (const [k] of constructions) {
    if (n % k === 0 && isPowerOfTwo(n / k)) return { k, powerOfTwo: n / k };
  }
  return null;
}

/** Sylvester's H_{2^m}: H[i][j] = (-1)^popcount(i & j). */
function sylvester(n: number): Int8Array {
  const h = new Int8Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let x = i & j;
      let parity = 0;
      while (x !== 0) {
        parity ^= 1;
        x &= x - 1;
      }
      h[i * n + j] = parity === 0 ? 1 : -1;
    }
  }
  return h;
}

function kronecker(a: Int8Array, na: number, b: Int8Array, nb: number): Int8Array {
  const n = na * nb;
  const out = new Int8Array(n * n);
  for (let i = 0; i < na; i++)
    for (let j = 0; j < na; j++)
      for (let r = 0; r < nb; r++)
        for (let c = 0; c < nb; c++) out[(i * nb + r) * n + j * nb + c] = a[i * na + j] * b[r * nb + c];
  return out;
}

/** The K x K factor matrix (K = 1 gives [1]); cached, do not mutate the result. */
export function hadamardFactorMatrix(k: number): Int8Array {
  if (k === 1) return Int8Array.of(1);
  const cached = cache.get(k);
  if (cached !== undefined) return cached;
  const entry = constructions.find(([order]) => order === k);
  if (entry === undefined) {
    throw new KernelError('KERNEL_UNSUPPORTED_SIZE', `no Hadamard matrix of order K=${k} is known here`, {
      details: { argument: 'k', k, supported: hadamardOrders },
    });
  }
  const matrix = entry[1]();
  cache.set(k, matrix);
  return matrix;
}

/**
 * The dense n x n Hadamard matrix H_K (x) H_{2^m} (+1/-1 entries, row-major, H H^T = n I, not
 * normalized). Dense: n^2 bytes, meant for tests, offline rotation and small n; use the
 * fast transform for activations. Throws `KERNEL_UNSUPPORTED_SIZE` when `hadamardFactor(n)` is null.
 */
export function hadamardMatrix(n: number): Int8Array {
  const factor = hadamardFactor(n);
  if (factor === null) {
    throw new KernelError(
      'KERNEL_UNSUPPORTED_SIZE',
      `hadamardMatrix: n=${n} is not K * 2^m with K in {1, ${hadamardOrders.join(', ')}}`,
      { details: { argument: 'n', n, supported: hadamardOrders } },
    );
  }
  const { k, powerOfTwo } = factor;
  if (k === 1) return sylvester(n);
  return kronecker(hadamardFactorMatrix(k), k, sylvester(powerOfTwo), powerOfTwo);
}
