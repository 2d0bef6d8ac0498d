import { PruneError } from '../errors';
import { checkLength, checkPattern, checkPositiveInteger } from '../internal/validate';

export interface AmberActivationOptions {
  /** Kept activations per group. */
  n: number;
  /** Group width of consecutive input channels (2:4, 4:8, 8:16 in the paper; 8:16 is its recommended trade-off). */
  m: number;
}

function checkActivations(x: ArrayLike<number>, tokens: number, columns: number): void {
  checkPositiveInteger(tokens, 'tokens');
  checkPositiveInteger(columns, 'columns');
  if (x.length !== tokens * columns) {
    throw new PruneError(
      'PRUNE_SHAPE_MISMATCH',
      `activations: expected ${tokens}x${columns}, got ${x.length} values`,
      {
        details: { argument: 'activations', tokens, columns, length: x.length },
      },
    );
  }
}

/**
 * Amber Pruner's weight-aware activation scores `S_tj = |x_tj| · f_j` (arXiv 2508.02128; brief §4) for
 * `x` row-major `[tokens, columns]` and `f` from `computeAmberChannelScale`.
 */
export function scoreAmberActivations(
  x: ArrayLike<number>,
  tokens: number,
  columns: number,
  channelScale: ArrayLike<number>,
): Float64Array {
  checkActivations(x, tokens, columns);
  checkLength(channelScale, columns, 'channelScale');
  const scores = new Float64Array(tokens * columns);
  for (let t = 0; t < tokens; t++) {
    for (let j = 0; j < columns; j++)
      scores[t * columns + j] = Math.abs(x[t * columns + j]) * channelScale[j];
  }
  return scores;
}

/**
 * The spec of N:M activation sparsity for prefill: for every token and every group of `m` consecutive input
 * channels, keep the `n` entries with the largest `S_tj` and zero the rest; on equal scores the lower channel index
 * is kept (the convention of @x/kernels-wasm's `maskNmActivations`). Returns a new array; `x` is untouched. Decode
 * steps stay dense (not applied there).
 */
export function applyAmberActivationSparsity(
  x: Float32Array,
  tokens: number,
  columns: number,
  channelScale: ArrayLike<number>,
  options: AmberActivationOptions,
): Float32Array {
  const { n, m } = options;
  checkPattern({ kind: 'nm', n, m }, columns, 'options');
  const scores = scoreAmberActivations(x, tokens, columns, channelScale);
  const result = new Float32Array(x.length);
  const kept = new Uint8Array(m);
  for (let start = 0; start < x.length; start += m) {
    kept.fill(0);
    // n rounds of "largest remaining score, lowest index first".
    for (let round = 0; round < n; round++) {
      let best = -1;
      for (let k = 0; k < m; k++) {
        if (kept[k]) continue;
        if (best < 0 || scores[start + k] > scores[start + best]) best = k;
      }
      kept[best] = 1;
      result[start + best] = x[start + best];
    }
  }
  return result;
}
