// Test-only helpers: seeded random layers and plain reference math (no library code).
import { createRng, type Rng } from '@x/core';

export function randomMatrix(rng: Rng, rows: number, columns: number, scale = 1): Float32Array {
  const data = new Float32Array(rows * columns);
  for (let k = 0; k < data.length; k++) data[k] = rng.normal() * scale;
  return data;
}

/**
 * Correlated activations `[tokens, columns]`: x = z·Mix + channelMean, with a random mixing matrix, per-channel scales
 * spanning a decade (LLM-like outlier channels) and optional nonzero channel means.
 */
export function correlatedActivations(
  rng: Rng,
  tokens: number,
  columns: number,
  options: { meanScale?: number; rank?: number } = {},
): Float32Array {
  const rank = options.rank ?? columns;
  const mix = randomMatrix(rng, rank, columns);
  const scale = new Float64Array(columns);
  const mean = new Float64Array(columns);
  for (let j = 0; j < columns; j++) {
    scale[j] = 10 ** (rng.next() * 1.5 - 0.5);
    mean[j] = (options.meanScale ?? 0) * rng.normal();
  }
  const x = new Float32Array(tokens * columns);
  const z = new Float64Array(rank);
  for (let t = 0; t < tokens; t++) {
    for (let r = 0; r < rank; r++) z[r] = rng.normal();
    for (let j = 0; j < columns; j++) {
      let value = 0;
      for (let r = 0; r < rank; r++) value += z[r] * mix[r * columns + j];
      x[t * columns + j] = (value / Math.sqrt(rank)) * scale[j] + mean[j];
    }
  }
  return x;
}

/** ‖(W − Ŵ) Xᵀ‖_F², computed directly from the activations. */
export function outputError(
  dense: Float32Array,
  pruned: ArrayLike<number>,
  x: ArrayLike<number>,
  rows: number,
  columns: number,
): number {
  const tokens = x.length / columns;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    for (let t = 0; t < tokens; t++) {
      let d = 0;
      for (let j = 0; j < columns; j++)
        d += (dense[i * columns + j] - pruned[i * columns + j]) * x[t * columns + j];
      total += d * d;
    }
  }
  return total;
}

/** Plain `(2/n) Σ XᵀX` with n = number of sequences. */
export function referenceHessian(x: ArrayLike<number>, columns: number, samples: number): Float64Array {
  const tokens = x.length / columns;
  const h = new Float64Array(columns * columns);
  for (let a = 0; a < columns; a++) {
    for (let b = 0; b < columns; b++) {
      let sum = 0;
      for (let t = 0; t < tokens; t++) sum += x[t * columns + a] * x[t * columns + b];
      h[a * columns + b] = (2 / samples) * sum;
    }
  }
  return h;
}

export { createRng };
