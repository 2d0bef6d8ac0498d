/** Reference twins of the N:M kernels: plain loops over the compressed format, float64 sums. */
import type { NmCompressedWeights } from '../nm-sparse/compress-nm-weights';

/** Y[t, rows] = X[t, columns] · W^T + bias, reading W from values + in-group indices. */
export function nmSparseGemmRef(
  x: Float32Array,
  t: number,
  weights: NmCompressedWeights,
  bias?: Float32Array,
): Float32Array {
  const { rows, columns, kept, group, values, indices } = weights;
  const perRow = (columns / group) * kept;
  const y = new Float32Array(t * rows);
  for (let token = 0; token < t; token++) {
    for (let r = 0; r < rows; r++) {
      let sum = bias === undefined ? 0 : bias[r];
      for (let e = 0; e < perRow; e++) {
        const column = Math.floor(e / kept) * group + indices[r * perRow + e];
        sum += values[r * perRow + e] * x[token * columns + column];
      }
      y[token * rows + r] = sum;
    }
  }
  return y;
}

/** Keeps the `kept` largest |x_i| * scale_i per group of `group` (lower index on ties), zeroes the rest. */
export function maskNmActivationsRef(
  x: Float32Array,
  shape: { rows: number; columns: number; kept: number; group: number },
  scale?: Float32Array,
): Float32Array {
  const { rows, columns, kept, group } = shape;
  const out = x.slice(0, rows * columns);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < columns; g += group) {
      const base = r * columns + g;
      const score = (i: number) =>
        Math.fround(Math.abs(x[base + i]) * (scale === undefined ? 1 : scale[g + i]));
      const order = Array.from({ length: group }, (_, i) => i).sort((a, b) => score(b) - score(a) || a - b);
      for (const i of order.slice(kept)) out[base + i] = 0;
    }
  }
  return out;
}
