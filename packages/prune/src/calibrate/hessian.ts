import { PruneError } from '../errors';
import { checkPositiveInteger } from '../internal/validate';
import { type Activations, type AddBatchOptions, checkBatch } from './activations';

/** Streaming SparseGPT Hessian `H = (2/n) Σ XᵀX` over n sequences (brief §2), float64, `columns x columns`. */
export interface HessianAccumulator {
  readonly columns: number;
  readonly samples: number;
  add(x: Activations, tokens: number, options?: AddBatchOptions): void;
  /**
   * Same update from a precomputed Gram matrix `XᵀX` (`columns x columns`, e.g. computed by ORT) of a batch of
   * `tokens` rows spanning `options.samples` sequences.
   */
  addGram(gram: Activations, tokens: number, options?: AddBatchOptions): void;
  /** A full symmetric copy of H, row-major. */
  result(): Float64Array;
}

/**
 * Running-mean update as in the official `add_batch`: `H *= n/(n+b); n += b; H += (2/n) XᵀX`.
 * Only the upper triangle is accumulated (half the work); `result()` mirrors it. Memory: K² float64 plus one
 * channel-major copy of the largest batch.
 */
export function createHessianAccumulator(columns: number): HessianAccumulator {
  checkPositiveInteger(columns, 'columns');
  const k = columns;
  const upper = new Float64Array(k * k);
  let samples = 0;
  let transposed = new Float64Array(0);
  return {
    columns,
    get samples() {
      return samples;
    },
    add(x, tokens, options = {}) {
      const added = checkBatch(x, tokens, columns, options);
      const scale = samples / (samples + added);
      samples += added;
      const weight = 2 / samples;
      // Channel-major copy so each entry of XᵀX is a contiguous dot product over tokens (no store per multiply).
      if (transposed.length < k * tokens) transposed = new Float64Array(k * tokens);
      for (let t = 0; t < tokens; t++) {
        const row = t * k;
        for (let a = 0; a < k; a++) transposed[a * tokens + t] = x[row + a];
      }
      // Four rows of XᵀX at a time: each token of column b is loaded once for four dot products.
      let a = 0;
      for (; a + 3 < k; a += 4) {
        const r0 = a * tokens;
        const r1 = r0 + tokens;
        const r2 = r1 + tokens;
        const r3 = r2 + tokens;
        for (let b = a; b < k; b++) {
          const rowB = b * tokens;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let t = 0; t < tokens; t++) {
            const xb = transposed[rowB + t];
            s0 += transposed[r0 + t] * xb;
            s1 += transposed[r1 + t] * xb;
            s2 += transposed[r2 + t] * xb;
            s3 += transposed[r3 + t] * xb;
          }
          upper[a * k + b] = upper[a * k + b] * scale + weight * s0;
          if (b >= a + 1) upper[(a + 1) * k + b] = upper[(a + 1) * k + b] * scale + weight * s1;
          if (b >= a + 2) upper[(a + 2) * k + b] = upper[(a + 2) * k + b] * scale + weight * s2;
          if (b >= a + 3) upper[(a + 3) * k + b] = upper[(a + 3) * k + b] * scale + weight * s3;
        }
      }
      for (; a < k; a++) {
        const rowA = a * tokens;
        for (let b = a; b < k; b++) {
          const rowB = b * tokens;
          let sum = 0;
          for (let t = 0; t < tokens; t++) sum += transposed[rowA + t] * transposed[rowB + t];
          upper[a * k + b] = upper[a * k + b] * scale + weight * sum;
        }
      }
    },
    addGram(gram, tokens, options = {}) {
      checkPositiveInteger(tokens, 'tokens');
      const added = options.samples ?? 1;
      checkPositiveInteger(added, 'samples');
      if (gram.length !== k * k) {
        throw new PruneError('PRUNE_SHAPE_MISMATCH', `gram: expected ${k}x${k} values, got ${gram.length}`, {
          details: { argument: 'gram', columns: k, length: gram.length },
        });
      }
      const scale = samples / (samples + added);
      samples += added;
      const weight = 2 / samples;
      for (let a = 0; a < k; a++) {
        for (let b = a; b < k; b++) upper[a * k + b] = upper[a * k + b] * scale + weight * gram[a * k + b];
      }
    },
    result() {
      const h = new Float64Array(k * k);
      for (let a = 0; a < k; a++) {
        for (let b = a; b < k; b++) {
          h[a * k + b] = upper[a * k + b];
          h[b * k + a] = upper[a * k + b];
        }
      }
      return h;
    },
  };
}
