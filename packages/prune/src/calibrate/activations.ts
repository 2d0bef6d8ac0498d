import { PruneError } from '../errors';
import { checkPositiveInteger } from '../internal/validate';

/** Layer inputs `X` as row-major `[tokens, columns]`: one row per token, one column per input channel. */
export type Activations = Float32Array | Float64Array;

/** Options of one `add` call of the calibration accumulators. */
export interface AddBatchOptions {
  /**
   * How many calibration sequences the `tokens` rows span (they are split evenly, in order).
   * Statistics are normalized by the number of sequences, not tokens, like the official code (brief §0).
   * @defaultValue 1
   */
  samples?: number;
}

/** Validates one batch and returns the number of sequences it spans. */
export function checkBatch(
  x: Activations,
  tokens: number,
  columns: number,
  options: AddBatchOptions = {},
): number {
  checkPositiveInteger(tokens, 'tokens');
  const samples = options.samples ?? 1;
  checkPositiveInteger(samples, 'samples');
  if (x.length !== tokens * columns) {
    throw new PruneError(
      'PRUNE_SHAPE_MISMATCH',
      `activations: expected ${tokens}x${columns}=${tokens * columns} values, got ${x.length}`,
      { details: { argument: 'activations', tokens, columns, length: x.length } },
    );
  }
  if (tokens % samples !== 0) {
    throw new PruneError(
      'PRUNE_SHAPE_MISMATCH',
      `activations: ${tokens} tokens do not split into ${samples} samples`,
      {
        details: { argument: 'samples', tokens, samples },
      },
    );
  }
  return samples;
}
