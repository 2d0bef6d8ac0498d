import { getKernels } from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { correlatedActivations, createRng, referenceHessian } from '../../test/helpers/layers';
import { choleskyLowerInPlace, invertLowerTriangular, upperCholeskyOfInverse } from '../internal/cholesky';
import {
  choleskyLowerBlocked,
  invertLowerTriangularBlocked,
  upperCholeskyOfInverseBlocked,
} from './blocked-cholesky';

/** A damped Hessian (1% of the mean diagonal, brief §2) from correlated activations with outlier-like channels. */
function dampedHessian(seed: number, n: number): Float64Array {
  const rng = createRng(seed);
  const h = referenceHessian(correlatedActivations(rng, 2 * n, n, { rank: Math.ceil(n / 3) }), n, 4);
  let mean = 0;
  for (let j = 0; j < n; j++) mean += h[j * n + j] / n;
  for (let j = 0; j < n; j++) h[j * n + j] += 0.01 * mean;
  return h;
}

function relativeError(actual: Float64Array, expected: Float64Array): number {
  let difference = 0;
  let norm = 0;
  for (let q = 0; q < expected.length; q++) {
    difference += (actual[q] - expected[q]) ** 2;
    norm += expected[q] ** 2;
  }
  return Math.sqrt(difference / norm);
}

// Blocks of 16 and GEMM chunks of 40 over n = 150 exercise ragged last blocks and several chunks per update.
const small = { blockSize: 16, chunk: 40 };

describe('blocked Cholesky (fp32 WASM GEMM updates, float64 diagonal blocks)', () => {
  it('factors A = L Lᵀ like the plain float64 loops, to fp32 rounding', async () => {
    const kernels = await getKernels();
    const n = 150;
    const a = dampedHessian(1, n);
    const plain = Float64Array.from(a);
    expect(choleskyLowerInPlace(plain, n)).toBe(true);
    const blocked = Float64Array.from(a);
    expect(choleskyLowerBlocked(blocked, n, kernels, small)).toBe(true);
    expect(relativeError(blocked, plain)).toBeLessThan(1e-5);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(blocked[i * n + j]).toBe(0);
    const inverse = invertLowerTriangularBlocked(plain, n, kernels, small);
    expect(relativeError(inverse, invertLowerTriangular(plain, n))).toBeLessThan(1e-5);
    // L · L⁻¹ = I
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < n; q++) sum += plain[i * n + q] * inverse[q * n + j];
        worst = Math.max(worst, Math.abs(sum - (i === j ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('gives the same U = chol(A⁻¹)ᵀ as the plain path (default blocks) and rejects an indefinite matrix', async () => {
    const kernels = await getKernels();
    const n = 200;
    const a = dampedHessian(2, n);
    const copy = Float64Array.from(a);
    const u = upperCholeskyOfInverseBlocked(a, n, kernels) as Float64Array;
    expect(a).toEqual(copy);
    expect(relativeError(u, upperCholeskyOfInverse(a, n) as Float64Array)).toBeLessThan(1e-5);
    const indefinite = Float64Array.from(a);
    indefinite[0] = -1; // the last diagonal of the reversed matrix: fails after the GEMM updates
    expect(upperCholeskyOfInverseBlocked(indefinite, n, kernels, small)).toBeUndefined();
  });
});
