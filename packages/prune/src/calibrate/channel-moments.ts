import { checkPositiveInteger } from '../internal/validate';
import { type Activations, type AddBatchOptions, checkBatch } from './activations';

/** DSnoT's per-input-channel statistics (brief §3.1). */
export interface ChannelMoments {
  /** `xsum_j = (1/n) Σ_seq Σ_t x_tj`: a token-SUM per sequence (= L·E[x_j]), DSnoT's `sum_metric_row`. */
  readonly sum: Float64Array;
  /** Per-channel mean over all tokens (kept by DSnoT's wrapper; its pruning code does not read it). */
  readonly mean: Float64Array;
  /** Pooled within-sequence population variance `Σ_s L_s·v_s / Σ_s L_s` (spread of sequence means excluded). */
  readonly variance: Float64Array;
  readonly samples: number;
  readonly tokens: number;
}

export interface ChannelMomentAccumulator {
  readonly columns: number;
  readonly samples: number;
  add(x: Activations, tokens: number, options?: AddBatchOptions): void;
  result(): ChannelMoments;
}

/** Memory: four float64 per input channel. Each sequence's variance is computed two-pass (stable). */
export function createChannelMomentAccumulator(columns: number): ChannelMomentAccumulator {
  checkPositiveInteger(columns, 'columns');
  const sum = new Float64Array(columns);
  const tokenSum = new Float64Array(columns);
  const pooled = new Float64Array(columns);
  const sequenceMean = new Float64Array(columns);
  let samples = 0;
  let totalTokens = 0;
  return {
    columns,
    get samples() {
      return samples;
    },
    add(x, tokens, options = {}) {
      const added = checkBatch(x, tokens, columns, options);
      const length = tokens / added;
      for (let s = 0; s < added; s++) {
        const first = s * length;
        sequenceMean.fill(0);
        for (let t = first; t < first + length; t++) {
          for (let j = 0; j < columns; j++) sequenceMean[j] += x[t * columns + j];
        }
        // Running mean over sequences of the per-sequence token-sum.
        samples += 1;
        for (let j = 0; j < columns; j++) {
          tokenSum[j] += sequenceMean[j];
          sum[j] += (sequenceMean[j] - sum[j]) / samples;
          sequenceMean[j] /= length;
        }
        // Population variance of this sequence, weighted by its length into the pooled running average.
        for (let j = 0; j < columns; j++) {
          let squares = 0;
          for (let t = first; t < first + length; t++) {
            const d = x[t * columns + j] - sequenceMean[j];
            squares += d * d;
          }
          pooled[j] = (pooled[j] * totalTokens + squares) / (totalTokens + length);
        }
        totalTokens += length;
      }
    },
    result() {
      const mean = new Float64Array(columns);
      for (let j = 0; j < columns; j++) mean[j] = totalTokens === 0 ? 0 : tokenSum[j] / totalTokens;
      return {
        sum: Float64Array.from(sum),
        mean,
        variance: Float64Array.from(pooled),
        samples,
        tokens: totalTokens,
      };
    },
  };
}
