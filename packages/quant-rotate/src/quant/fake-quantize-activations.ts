/**
 * Per-token dynamic activation fake quantization (QuaRot `ActQuantizer`, `fake_quant/quant_utils.py`;
 * brief §7.4). For each token row (or each group of `groupSize` channels of it):
 *
 *   xmax = max(max x, 0)·c,  xmin = min(min x, 0)·c          (c = clip ratio)
 *   symmetric:  s = max(|xmin|, xmax)/(2^{b−1}−1),  q = clamp(round(x/s), −2^{b−1}, 2^{b−1}−1),  x̂ = s q
 *   asymmetric: s = (xmax−xmin)/(2^b−1),  z = round(−xmin/s),  q = clamp(round(x/s)+z, 0, 2^b−1),  x̂ = s(q−z)
 *   all-zero rows: s = 1 (symmetric) or [xmin, xmax] = [−1, 1] (asymmetric)
 *
 * Defaults are DartQuant's evaluation setting (brief §8.6): 4-bit, asymmetric, clip 0.9, per token.
 */

import { roundHalfEven } from '../internal/round';
import { assertBits, assertGroupSize, assertMatrix, assertNumberInRange } from '../internal/validate';
import type { FloatArray, Matrix } from '../types';

/** Bit widths the activation fake quantizer accepts. */
export const activationBits: readonly number[] = [2, 3, 4, 5, 6, 7, 8];

export interface ActivationQuantOptions {
  /** Bits per activation, 2..8. @defaultValue 4 */
  bits?: number;
  /** Symmetric or asymmetric grid. @defaultValue false */
  symmetric?: boolean;
  /** Channels per group, dividing the row length; 0 = the whole token row. @defaultValue 0 */
  groupSize?: number;
  /** Clip ratio c ∈ (0, 1]. @defaultValue 0.9 */
  clipRatio?: number;
}

export interface ResolvedActivationQuantOptions {
  bits: number;
  symmetric: boolean;
  groupSize: number;
  clipRatio: number;
}

export function resolveActivationQuantOptions(
  options: ActivationQuantOptions,
  channels: number,
  defaults: ResolvedActivationQuantOptions = { bits: 4, symmetric: false, groupSize: 0, clipRatio: 0.9 },
): ResolvedActivationQuantOptions {
  const bits = options.bits ?? defaults.bits;
  assertBits(bits, activationBits, 'activation quantizer');
  const groupSize = options.groupSize ?? defaults.groupSize;
  if (groupSize !== 0) assertGroupSize(groupSize, channels, 'activation quantizer');
  const clipRatio = options.clipRatio ?? defaults.clipRatio;
  assertNumberInRange(clipRatio, 'clipRatio', Number.MIN_VALUE, 1);
  return { bits, symmetric: options.symmetric ?? defaults.symmetric, groupSize, clipRatio };
}

/** Quantize-dequantize every token row of `x` ([tokens, channels]); same array kind as `x`. */
export function fakeQuantizeActivations<T extends FloatArray>(
  x: Matrix<T>,
  options: ActivationQuantOptions = {},
): Matrix<T> {
  assertMatrix(x, 'x');
  return fakeQuantizeRows(x, resolveActivationQuantOptions(options, x.cols));
}

/** The shared kernel, on already-resolved options. */
export function fakeQuantizeRows<T extends FloatArray>(
  x: Matrix<T>,
  options: ResolvedActivationQuantOptions,
): Matrix<T> {
  const { rows, cols, data } = x;
  const { bits, symmetric, clipRatio } = options;
  const groupSize = options.groupSize === 0 ? cols : options.groupSize;
  const out = (
    data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length)
  ) as T;
  const maxSigned = 2 ** (bits - 1) - 1;
  const maxCode = 2 ** bits - 1;
  for (let start = 0; start < rows * cols; start += groupSize) {
    let xmin = 0;
    let xmax = 0;
    for (let i = start; i < start + groupSize; i++) {
      const v = data[i];
      if (v < xmin) xmin = v;
      if (v > xmax) xmax = v;
    }
    xmin *= clipRatio;
    xmax *= clipRatio;
    if (symmetric) {
      const absMax = Math.max(-xmin, xmax);
      const s = absMax === 0 ? 1 : absMax / maxSigned;
      for (let i = start; i < start + groupSize; i++) {
        const q = Math.min(maxSigned, Math.max(-maxSigned - 1, roundHalfEven(data[i] / s)));
        out[i] = s * q;
      }
    } else {
      if (xmin === 0 && xmax === 0) {
        xmin = -1;
        xmax = 1;
      }
      const s = (xmax - xmin) / maxCode;
      const z = roundHalfEven(-xmin / s);
      for (let i = start; i < start + groupSize; i++) {
        const q = Math.min(maxCode, Math.max(0, roundHalfEven(data[i] / s) + z));
        out[i] = s * (q - z);
      }
    }
  }
  return { rows, cols, data: out };
}
