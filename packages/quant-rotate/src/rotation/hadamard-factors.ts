/**
 * The exact Hadamard transform of size n = K·2^m that QuaRot/SpinQuant/DartQuant apply online for
 * R3/R4 (QuaRot arXiv 2404.00456 §4 and `fake_quant/hadamard_utils.py`; brief §7.3):
 *
 *   H_n = (H_K ⊗ H_{2^m}) / sqrt(n),   index i = k·2^m + j,
 *
 * with H_K a Hadamard matrix of order K ∈ {1, 12, 20, 28, 36, 40, 44, 52, 60, 76, 108, 140, 156, 172}
 * from @x/kernels-wasm and H_{2^m} Sylvester's matrix in natural order. The two normalised factors
 * are returned separately so the transform costs K² + 2^{2m} per row instead of n² (two small
 * MatMuls on a reshaped tensor; see `applyHadamard`).
 *
 * Unsupported sizes are a typed error (`QUANT_UNSUPPORTED_HADAMARD_SIZE`), never a silent
 * fallback: a block-diagonal Hadamard (QuaRot issue #74) changes the method, so callers must ask
 * for it explicitly by choosing a different rotation.
 */
import { hadamardFactor, hadamardFactorMatrix, hadamardOrders } from '@x/kernels-wasm';
import { QuantError } from '../errors';

export interface HadamardFactors {
  /** n = k · powerOfTwo. */
  n: number;
  /** The non-power-of-two order K (1 when n is a power of two). */
  k: number;
  /** 2^m. */
  powerOfTwo: number;
  /** H_K / sqrt(K), K x K row-major, orthogonal. */
  outer: Float64Array;
  /** H_{2^m} / sqrt(2^m), Sylvester in natural order, symmetric and orthogonal. */
  inner: Float64Array;
}

/** The Hadamard orders K this build supports besides powers of two. */
export function listHadamardOrders(): readonly number[] {
  return hadamardOrders;
}

/** Splits n into its normalised Kronecker factors; throws `QUANT_UNSUPPORTED_HADAMARD_SIZE`. */
export function factorHadamard(n: number): HadamardFactors {
  const factor = hadamardFactor(n);
  if (factor === null) {
    throw new QuantError(
      'QUANT_UNSUPPORTED_HADAMARD_SIZE',
      `no Hadamard matrix of size ${n}: it must be K·2^m with K in {1, ${hadamardOrders.join(', ')}}. ` +
        'Use a random orthogonal rotation for this dimension instead.',
      { details: { argument: 'n', n, supported: hadamardOrders } },
    );
  }
  const { k, powerOfTwo } = factor;
  const hk = hadamardFactorMatrix(k);
  const outer = new Float64Array(k * k);
  const sk = 1 / Math.sqrt(k);
  for (let i = 0; i < k * k; i++) outer[i] = hk[i] * sk;
  const p = powerOfTwo;
  const inner = new Float64Array(p * p);
  const sp = 1 / Math.sqrt(p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let x = i & j;
      let parity = 0;
      while (x !== 0) {
        parity ^= 1;
        x &= x - 1;
      }
      inner[i * p + j] = parity === 0 ? sp : -sp;
    }
  }
  return { n, k, powerOfTwo: p, outer, inner };
}
