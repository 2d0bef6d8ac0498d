/**
 * Round-to-nearest weight quantization (the RTN baseline of QuaRot/SpinQuant/DartQuant; brief §7.4):
 * each (output row, group) segment gets its own grid (`findWeightGrid`), and each weight its nearest code.
 */
import { assertMatrix } from '../internal/validate';
import type { Matrix } from '../types';
import type { QuantizedWeight } from './quantized-weight';
import { findWeightGrid, quantizeCode } from './weight-grid';
import {
  type ResolvedWeightQuantOptions,
  resolveWeightQuantOptions,
  type WeightQuantOptions,
} from './weight-options';

export interface RtnResult {
  quantized: QuantizedWeight;
  /** The resolved options, so the run can be repeated exactly. */
  options: ResolvedWeightQuantOptions;
}

/** RTN-quantizes `weight` ([out, in]; groups run along `in`). */
export function quantizeRtn(weight: Matrix, options: WeightQuantOptions = {}): RtnResult {
  assertMatrix(weight, 'weight');
  const resolved = resolveWeightQuantOptions(options, weight.cols);
  const { rows, cols, data } = weight;
  const { bits, symmetric, clip } = resolved;
  const groupSize = resolved.groupSize === 0 ? cols : resolved.groupSize;
  const groups = cols / groupSize;
  const codes = new Uint8Array(rows * cols);
  const scales = new Float32Array(rows * groups);
  const zeroPoints = new Uint8Array(rows * groups);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < groups; g++) {
      const start = r * cols + g * groupSize;
      const grid = findWeightGrid(data, start, groupSize, 1, bits, symmetric, clip);
      scales[r * groups + g] = grid.scale;
      zeroPoints[r * groups + g] = grid.zeroPoint;
      for (let c = 0; c < groupSize; c++) codes[start + c] = quantizeCode(data[start + c], grid, bits);
    }
  }
  return {
    quantized: { rows, cols, bits, groupSize, symmetric, codes, scales, zeroPoints },
    options: resolved,
  };
}
