/** ŵ = (code − z)·s in float32, per (row, group): the exact inverse map of a `QuantizedWeight`. */
import type { Matrix } from '../types';
import type { QuantizedWeight } from './quantized-weight';

/** The dequantized `[rows, cols]` weight (float32, as MatMulNBits computes it). */
export function dequantizeWeight(weight: QuantizedWeight): Matrix<Float32Array> {
  const { rows, cols, groupSize, codes, scales, zeroPoints } = weight;
  const groups = cols / groupSize;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const g = r * groups + Math.floor(c / groupSize);
      out[r * cols + c] = Math.fround((codes[r * cols + c] - zeroPoints[g]) * scales[g]);
    }
  }
  return { rows, cols, data: out };
}
