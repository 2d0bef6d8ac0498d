/**
 * The weight quantization grid of one (row, group) segment, as QuaRot's `WeightQuantizer.find_params`
 * computes it (`fake_quant/quant_utils.py`; brief §7.4), expressed as unsigned codes:
 *
 *   xmin = min(min x, 0)·c,  xmax = max(max x, 0)·c
 *   symmetric:  s = max(|xmin|, xmax) / (2^{b−1} − 1),  z = 2^{b−1}
 *   asymmetric: s = (xmax − xmin) / (2^b − 1),          z = round(−xmin / s)
 *   code = clamp(round(x / s) + z, 0, 2^b − 1),  x̂ = s·(code − z)
 *
 * An all-zero segment gets s = 1 (symmetric) or [xmin, xmax] = [−1, 1] (asymmetric). The scale is
 * rounded to float32 before codes are computed, so ONNX's float32 dequantisation reproduces x̂ exactly.
 */
import { roundHalfEven } from '../internal/round';

export interface WeightGrid {
  scale: number;
  zeroPoint: number;
}

/** Grid for min/max (already including the zero) shrunk by `ratio`. */
export function gridFromRange(xmin: number, xmax: number, bits: number, symmetric: boolean): WeightGrid {
  const maxCode = 2 ** bits - 1;
  if (symmetric) {
    const absMax = Math.max(-xmin, xmax);
    const scale = absMax === 0 ? 1 : Math.fround(absMax / (2 ** (bits - 1) - 1));
    return { scale: scale === 0 ? Number.MIN_VALUE : scale, zeroPoint: 2 ** (bits - 1) };
  }
  let lo = xmin;
  let hi = xmax;
  if (lo === 0 && hi === 0) {
    lo = -1;
    hi = 1;
  }
  let scale = Math.fround((hi - lo) / maxCode);
  if (scale === 0) scale = Math.fround(Number.MIN_VALUE);
  const zeroPoint = Math.min(maxCode, Math.max(0, roundHalfEven(-lo / scale)));
  return { scale, zeroPoint };
}

/** The code of x on a grid. */
export function quantizeCode(x: number, grid: WeightGrid, bits: number): number {
  const q = roundHalfEven(x / grid.scale) + grid.zeroPoint;
  const maxCode = 2 ** bits - 1;
  return Math.min(maxCode, Math.max(0, q));
}

/** x̂ = s·(code − z) in float32 arithmetic, as MatMulNBits computes it. */
export function dequantizeCode(code: number, grid: WeightGrid): number {
  return Math.fround((code - grid.zeroPoint) * grid.scale);
}

/**
 * Grid for `values[offset + i·stride]`, i < length. `clip` is a ratio or `'mse'` (QuaRot `--w_clip`:
 * shrink p = 1 − i/100 for i = 0..79, keep the p with the smallest Σ|Q(x) − x|^2.4; ties keep the larger p).
 */
export function findWeightGrid(
  values: ArrayLike<number>,
  offset: number,
  length: number,
  stride: number,
  bits: number,
  symmetric: boolean,
  clip: number | 'mse',
): WeightGrid {
  let xmin = 0;
  let xmax = 0;
  for (let i = 0; i < length; i++) {
    const v = values[offset + i * stride];
    if (v < xmin) xmin = v;
    if (v > xmax) xmax = v;
  }
  if (clip !== 'mse') return gridFromRange(xmin * clip, xmax * clip, bits, symmetric);
  let best = Number.POSITIVE_INFINITY;
  let bestGrid = gridFromRange(xmin, xmax, bits, symmetric);
  for (let step = 0; step < 80; step++) {
    const p = 1 - step / 100;
    const grid = gridFromRange(p * xmin, p * xmax, bits, symmetric);
    let error = 0;
    for (let i = 0; i < length; i++) {
      const v = values[offset + i * stride];
      error += Math.abs(dequantizeCode(quantizeCode(v, grid, bits), grid) - v) ** 2.4;
    }
    if (error < best) {
      best = error;
      bestGrid = grid;
    }
  }
  return bestGrid;
}
