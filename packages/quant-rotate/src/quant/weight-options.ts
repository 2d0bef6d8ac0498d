/**
 * Options shared by the weight quantizers (RTN, GPTQ), resolved in one place and echoed in results.
 * Defaults follow QuaRot/SpinQuant's W4 setting (brief §7.4): 4-bit, symmetric, per output channel,
 * no clipping.
 */

import { QuantError } from '../errors';
import { assertBits, assertGroupSize, assertNumberInRange } from '../internal/validate';

/** Bit widths the weight quantizers accept (MatMulNBits packs 2, 4 and 8 of them). */
export const weightBits: readonly number[] = [2, 3, 4, 5, 6, 7, 8];

export interface WeightQuantOptions {
  /** Bits per weight, 2..8. @defaultValue 4 */
  bits?: number;
  /** Symmetric (zero point 2^{bits−1}) or asymmetric (min/max) grid. @defaultValue true */
  symmetric?: boolean;
  /** Columns per group, dividing the input channels; 0 = one group per output channel. @defaultValue 0 */
  groupSize?: number;
  /**
   * Clip ratio c ∈ (0, 1] shrinking [xmin, xmax], or `'mse'` for QuaRot's `--w_clip` grid search
   * (p = 1 − i/100, i = 0..79, error Σ|Q(x) − x|^2.4, per row and group). @defaultValue 1
   */
  clip?: number | 'mse';
}

export interface ResolvedWeightQuantOptions {
  bits: number;
  symmetric: boolean;
  groupSize: number;
  clip: number | 'mse';
}

/** Fills defaults and validates against a weight with `cols` input channels. */
export function resolveWeightQuantOptions(
  options: WeightQuantOptions,
  cols: number,
): ResolvedWeightQuantOptions {
  const bits = options.bits ?? 4;
  assertBits(bits, weightBits, 'weight quantizer');
  const symmetric = options.symmetric ?? true;
  const groupSize = options.groupSize ?? 0;
  if (groupSize !== 0) assertGroupSize(groupSize, cols, 'weight quantizer');
  const clip = options.clip ?? 1;
  if (clip !== 'mse') {
    if (typeof clip !== 'number') {
      throw new QuantError(
        'QUANT_INVALID_OPTION',
        `clip must be a number in (0, 1] or 'mse', got ${String(clip)}`,
        {
          details: { option: 'clip', value: clip },
        },
      );
    }
    assertNumberInRange(clip, 'clip', Number.MIN_VALUE, 1);
  }
  return { bits, symmetric, groupSize, clip };
}
