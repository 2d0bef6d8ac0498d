import { checkPositiveInteger } from '../internal/validate';
import { type Activations, type AddBatchOptions, checkBatch } from './activations';

/** Streaming Wanda statistic: `sqnorm_j = (1/n) Σ_seq Σ_t x_tj²` over n sequences (brief §0, Wanda `scaler_row`). */
export interface InputNormAccumulator {
  readonly columns: number;
  /** Sequences seen so far (n). */
  readonly samples: number;
  add(x: Activations, tokens: number, options?: AddBatchOptions): void;
  /** A copy of `sqnorm` (length `columns`). The Wanda score uses its square root, `‖X_j‖₂` up to a constant. */
  result(): Float64Array;
}

/** Memory: one float64 per input channel. */
export function createInputNormAccumulator(columns: number): InputNormAccumulator {
  checkPositiveInteger(columns, 'columns');
  const sqnorm = new Float64Array(columns);
  const batch = new Float64Array(columns);
  let samples = 0;
  return {
    columns,
    get samples() {
      return samples;
    },
    add(x, tokens, options = {}) {
      const added = checkBatch(x, tokens, columns, options);
      batch.fill(0);
      for (let t = 0; t < tokens; t++) {
        const row = t * columns;
        for (let j = 0; j < columns; j++) batch[j] += x[row + j] * x[row + j];
      }
      // Running mean over sequences, as `scaler_row *= n/(n+b); n += b; scaler_row += ‖X‖²/n` in Wanda's layerwrapper.
      const scale = samples / (samples + added);
      samples += added;
      for (let j = 0; j < columns; j++) sqnorm[j] = sqnorm[j] * scale + batch[j] / samples;
    },
    result: () => Float64Array.from(sqnorm),
  };
}
