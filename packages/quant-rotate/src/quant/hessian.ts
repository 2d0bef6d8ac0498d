/**
 * The layer Hessian of GPTQ's objective ‖W Xᵀ − Ŵ Xᵀ‖² (Frantar et al., arXiv 2210.17323 §3;
 * brief §0): H = (2/T) Σ_t x_tᵀ x_t over T calibration tokens, accumulated in fp64 batch by batch.
 * Only its scale relative to the damping matters.
 */
import { QuantError } from '../errors';
import { assertIntegerInRange, assertMatrix } from '../internal/validate';
import type { Matrix } from '../types';

export interface HessianAccumulator {
  readonly columns: number;
  /** Tokens seen so far. */
  readonly tokens: number;
  /** Adds the rows of `x` ([tokens, columns]). */
  add(x: Matrix): void;
  /** H = (2/T) Σ xᵀx so far (a fresh copy). */
  hessian(): Matrix<Float64Array>;
}

/** A streaming accumulator of GPTQ's H for a layer with `columns` input channels. */
export function createHessianAccumulator(columns: number): HessianAccumulator {
  assertIntegerInRange(columns, 'columns', 1, 1 << 16);
  const sum = new Float64Array(columns * columns);
  let tokens = 0;
  return {
    columns,
    get tokens() {
      return tokens;
    },
    add(x) {
      assertMatrix(x, 'x');
      if (x.cols !== columns) {
        throw new QuantError('QUANT_SHAPE_MISMATCH', `x has ${x.cols} columns, the Hessian ${columns}`, {
          details: { argument: 'x', cols: x.cols, expected: columns },
        });
      }
      // Blocked XᵀX: transpose up to 64 tokens into channel-major rows, then contiguous dot products
      // (upper triangle only; mirrored in hessian()). Same sums as rank-1 updates, far fewer cache misses.
      const d = x.data;
      const chunk = 64;
      const xt = new Float64Array(columns * chunk);
      for (let t0 = 0; t0 < x.rows; t0 += chunk) {
        const count = Math.min(chunk, x.rows - t0);
        for (let t = 0; t < count; t++) {
          const row = (t0 + t) * columns;
          for (let i = 0; i < columns; i++) xt[i * chunk + t] = d[row + i];
        }
        for (let i = 0; i < columns; i++) {
          const a = i * chunk;
          const base = i * columns;
          for (let j = i; j < columns; j++) {
            const b = j * chunk;
            let acc = 0;
            for (let t = 0; t < count; t++) acc += xt[a + t] * xt[b + t];
            sum[base + j] += acc;
          }
        }
      }
      tokens += x.rows;
    },
    hessian() {
      const h = new Float64Array(columns * columns);
      const scale = tokens === 0 ? 0 : 2 / tokens;
      for (let i = 0; i < columns; i++) {
        for (let j = i; j < columns; j++) {
          const v = sum[i * columns + j] * scale;
          h[i * columns + j] = v;
          h[j * columns + i] = v;
        }
      }
      return { rows: columns, cols: columns, data: h };
    },
  };
}
