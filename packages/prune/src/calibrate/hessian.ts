import { checkPositiveInteger } from '../internal/validate';
import { type Activations, type AddBatchOptions, checkBatch } from './activations';

/** Streaming SparseGPT Hessian `H = (2/n) Σ XᵀX` over n sequences (brief §2), float64, `columns x columns`. */
export interface HessianAccumulator {
  readonly columns: number;
  readonly samples: number;
  add(x: Activations, tokens: number, options?: AddBatchOptions): void;
  /** A full symmetric copy of H, row-major. */
  result(): Float64Array;
}

/**
 * Running-mean update as in the official `add_batch`: `H *= n/(n+b); n += b; H += (2/n) XᵀX`.
 * Only the upper triangle is accumulated (half the work); `result()` mirrors it. Memory: K² float64.
 */
export function createHessianAccumulator(columns: number): HessianAccumulator {
  checkPositiveInteger(columns, 'columns');
  const k = columns;
  const upper = new Float64Array(k * k);
  let samples = 0;
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
      if (scale !== 1) for (let a = 0; a < k; a++) for (let b = a; b < k; b++) upper[a * k + b] *= scale;
      for (let t = 0; t < tokens; t++) {
        const row = t * k;
        for (let a = 0; a < k; a++) {
          const xa = x[row + a] * weight;
          if (xa === 0) continue;
          const base = a * k;
          for (let b = a; b < k; b++) upper[base + b] += xa * x[row + b];
        }
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
