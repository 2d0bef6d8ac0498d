/**
 * DartQuant's "Whip" loss on rotated activations (Tian et al., "DartQuant", arXiv 2511.04063 §4.2
 * Eq. 4; `calibrater/r1_base_qr.py`; brief §8.3): for rotated tokens Y = X R (rows are tokens),
 *
 *   L(R) = (1/T) Σ_t Σ_i exp(−|Y_ti|),     ∂L/∂Y_ti = −sign(Y_ti)·exp(−|Y_ti|) / T,     ∂L/∂R = Xᵀ ∂L/∂Y.
 *
 * With several rotations (R2: one hd x hd rotation per KV head), the row is split into heads of
 * `size` channels, head h uses rotation floor(h / (heads / rotations)), and the per-token sum runs
 * over all heads at once (brief §8.3, `r2_base_qr.py`). R1 is the case of one d x d rotation.
 */
import { QuantError } from '../errors';
import { assertMatrix, assertSquare } from '../internal/validate';
import type { Matrix } from '../types';

export interface WhipEvaluation {
  loss: number;
  /** ∂L/∂R_g for each rotation g (fp64, size x size), when requested. */
  gradients: Float64Array[] | undefined;
  /** Tokens averaged over. */
  tokens: number;
}

/** Checks that rotations are equal-size squares tiling the rows of every sample. */
export function assertWhipShapes(samples: readonly Matrix[], rotations: readonly Matrix[]): void {
  if (rotations.length === 0) {
    throw new QuantError('QUANT_SHAPE_MISMATCH', 'at least one rotation is needed', {
      details: { argument: 'rotations' },
    });
  }
  const size = rotations[0].rows;
  rotations.forEach((r, i) => {
    assertSquare(r, `rotations[${i}]`, size);
  });
  samples.forEach((x, i) => {
    assertMatrix(x, `samples[${i}]`);
    const heads = x.cols / size;
    if (!Number.isInteger(heads) || heads % rotations.length !== 0) {
      throw new QuantError(
        'QUANT_SHAPE_MISMATCH',
        `samples[${i}] has ${x.cols} channels: not a multiple of ${rotations.length} rotations of size ${size}`,
        { details: { argument: `samples[${i}]`, cols: x.cols, size, rotations: rotations.length } },
      );
    }
  });
}

/**
 * The Whip loss of `samples` (each [tokens, heads·size]) under `rotations`, averaged over all tokens,
 * with its gradient w.r.t. each rotation when `withGradient` is true. `tokenIndices[s]`, if given,
 * restricts sample s to those rows.
 */
export function evaluateWhip(
  samples: readonly Matrix[],
  rotations: readonly Matrix[],
  withGradient: boolean,
  tokenIndices?: readonly (Uint32Array | undefined)[],
): WhipEvaluation {
  assertWhipShapes(samples, rotations);
  const size = rotations[0].rows;
  let tokens = 0;
  samples.forEach((x, s) => {
    tokens += tokenIndices?.[s]?.length ?? x.rows;
  });
  const gradients = withGradient ? rotations.map(() => new Float64Array(size * size)) : undefined;
  const y = new Float64Array(size);
  // fp64 copies keep the hot loops monomorphic (samples captured from ORT are Float32Array).
  const rs = rotations.map((r) => (r.data instanceof Float64Array ? r.data : Float64Array.from(r.data)));
  let loss = 0;
  for (let s = 0; s < samples.length; s++) {
    const x = samples[s];
    const xd = x.data instanceof Float64Array ? x.data : Float64Array.from(x.data);
    const cols = x.cols;
    const heads = cols / size;
    const headsPerRotation = heads / rotations.length;
    const indices = tokenIndices?.[s];
    const count = indices?.length ?? x.rows;
    for (let ti = 0; ti < count; ti++) {
      const t = indices === undefined ? ti : indices[ti];
      for (let h = 0; h < heads; h++) {
        const g = Math.floor(h / headsPerRotation);
        const r = rs[g];
        const base = t * cols + h * size;
        y.fill(0);
        for (let p = 0; p < size; p++) {
          const xp = xd[base + p];
          if (xp === 0) continue;
          const rp = p * size;
          for (let j = 0; j < size; j++) y[j] += xp * r[rp + j];
        }
        for (let j = 0; j < size; j++) {
          const e = Math.exp(-Math.abs(y[j]));
          loss += e;
          // reuse y as ∂L/∂Y (times T, divided below)
          y[j] = y[j] > 0 ? -e : y[j] < 0 ? e : 0;
        }
        if (gradients !== undefined) {
          const grad = gradients[g];
          for (let p = 0; p < size; p++) {
            const xp = xd[base + p];
            if (xp === 0) continue;
            const gp = p * size;
            for (let j = 0; j < size; j++) grad[gp + j] += xp * y[j];
          }
        }
      }
    }
  }
  if (gradients !== undefined)
    for (const grad of gradients) for (let i = 0; i < grad.length; i++) grad[i] /= tokens;
  return { loss: loss / tokens, gradients, tokens };
}

/** L_whip of `x` ([tokens, d]) under one rotation `rotation` ([d, d]). */
export function whipLoss(x: Matrix, rotation: Matrix): number {
  return evaluateWhip([x], [rotation], false).loss;
}
