/**
 * The online Hadamard transform (R3/R4 in QuaRot/SpinQuant/DartQuant; brief §7.2-7.3) applied to
 * every row of X [T, n]: y_t = H_n x_t, i.e. `Y = X H_nᵀ` in the row-vector convention. It never
 * forms H_n: with x_t viewed as a K x 2^m row-major matrix M, H_n x_t = vec(Ĥ_K · M · Ĥ_{2^m})
 * where Ĥ are the normalised factors — the same two small MatMuls the ONNX graph inserts.
 *
 * Folding the inverse into the next linear: for `W [out, in]` consuming y, use `W ← W H_nᵀ`
 * (`rotateLinearInput(W, transpose(H_n))`), since H_n is orthogonal. R3 needs nothing folded:
 * applying it to both Q and K leaves QKᵀ unchanged.
 */

import { QuantError } from '../errors';
import { assertMatrix } from '../internal/validate';
import type { FloatArray, Matrix } from '../types';
import { factorHadamard } from './hadamard-factors';

/** Y with rows H_n x_t, same array kind as X. Throws `QUANT_UNSUPPORTED_HADAMARD_SIZE`. */
export function applyHadamard<T extends FloatArray>(x: Matrix<T>): Matrix<T> {
  assertMatrix(x, 'x');
  const n = x.cols;
  const { k, powerOfTwo: p, outer, inner } = factorHadamard(n);
  if (k * p !== n) throw new QuantError('QUANT_SHAPE_MISMATCH', 'internal: bad Hadamard factorisation');
  const out = (
    x.data instanceof Float32Array ? new Float32Array(x.data.length) : new Float64Array(x.data.length)
  ) as T;
  const tmp = new Float64Array(n);
  for (let t = 0; t < x.rows; t++) {
    const base = t * n;
    // tmp = M · Ĥ_P  (M is K x P)
    tmp.fill(0);
    for (let a = 0; a < k; a++) {
      const row = base + a * p;
      for (let c = 0; c < p; c++) {
        const v = x.data[row + c];
        if (v === 0) continue;
        const ir = c * p;
        const tr = a * p;
        for (let j = 0; j < p; j++) tmp[tr + j] += v * inner[ir + j];
      }
    }
    // out = Ĥ_K · tmp
    if (k === 1) {
      for (let j = 0; j < n; j++) out[base + j] = tmp[j];
      continue;
    }
    for (let a = 0; a < k; a++) {
      const orow = base + a * p;
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let b = 0; b < k; b++) s += outer[a * k + b] * tmp[b * p + j];
        out[orow + j] = s;
      }
    }
  }
  return { rows: x.rows, cols: n, data: out };
}
