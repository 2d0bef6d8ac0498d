import { getKernels } from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, randomMatrix } from '../internal/test-helpers';
import { householderQr } from '../linalg/householder-qr';
import { qrOrthBackward } from './qr-orth-backward';
import { qrOrthBackwardKernels } from './qr-orth-backward-kernels';
import { evaluateWhip } from './whip-loss';

/** Central finite differences of f at z, entry by entry. */
function finiteDifferences(f: (z: Float64Array) => number, z: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    const plus = Float64Array.from(z);
    const minus = Float64Array.from(z);
    plus[i] += h;
    minus[i] -= h;
    g[i] = (f(plus) - f(minus)) / (2 * h);
  }
  return g;
}

describe('qrOrthBackward', () => {
  const n = 6;
  const z = randomMatrix(n, n, 21).data;

  it('matches finite differences for a linear loss ⟨C, Q(Z)⟩', () => {
    const c = randomMatrix(n, n, 22).data;
    const loss = (m: Float64Array) => {
      const q = householderQr({ rows: n, cols: n, data: m }).q.data;
      let s = 0;
      for (let i = 0; i < q.length; i++) s += c[i] * q[i];
      return s;
    };
    const { q, r } = householderQr({ rows: n, cols: n, data: z });
    const analytic = qrOrthBackward(q.data, r.data, c, n);
    const numeric = finiteDifferences(loss, z);
    for (let i = 0; i < z.length; i++) expect(analytic[i]).toBeCloseTo(numeric[i], 7);
  });

  it('matches finite differences for the Whip loss of X·Q(Z) (the DartQuant objective)', () => {
    const x = randomMatrix(40, n, 23);
    const loss = (m: Float64Array) =>
      evaluateWhip([x], [householderQr({ rows: n, cols: n, data: m }).q], false).loss;
    const { q, r } = householderQr({ rows: n, cols: n, data: z });
    const gradQ = evaluateWhip([x], [q], true).gradients![0];
    const analytic = qrOrthBackward(q.data, r.data, gradQ, n);
    const numeric = finiteDifferences(loss, z);
    for (let i = 0; i < z.length; i++) expect(analytic[i]).toBeCloseTo(numeric[i], 6);
  });

  it('the wasm-GEMM version equals the fp64 twin (n = 37: odd, several GEMM tiles)', async () => {
    const kernels = await getKernels();
    const size = 37;
    const { q, r } = householderQr(randomMatrix(size, size, 24));
    const gradQ = randomMatrix(size, size, 25).data;
    const twin = qrOrthBackward(q.data, r.data, gradQ, size);
    const fast = qrOrthBackwardKernels(kernels, q.data, r.data, gradQ, size);
    let scale = 0;
    for (const v of twin) scale = Math.max(scale, Math.abs(v));
    expect(maxAbsDiff(fast, twin) / scale).toBeLessThan(1e-5);
  });
});
