/**
 * Per-head R2 fusion (SpinQuant/DartQuant; brief §7.2): one hd x hd rotation per KV head.
 * - v_proj output, KV head j: `W_v,j ← R2[j]ᵀ W_v,j` (rows j·hd..(j+1)·hd of the `[out, in]` weight), so V
 *   per head becomes v R2[j]. Attention mixes tokens, not channels, so the context of query head h is
 *   ctx_h R2[floor(h / g)] with g = numHeads / numKvHeads.
 * - o_proj input, query head h: `W_o[:, h] ← W_o[:, h] R2[floor(h / g)]` undoes it.
 */
import { QuantError } from '../errors';
import { assertMatrix, assertSquare } from '../internal/validate';
import type { FloatArray, Matrix, WeightLayout } from '../types';

export interface RotateHeadsOptions {
  /** `'out-in'` (PyTorch [out, in]) or `'in-out'` (ONNX MatMul B [in, out]). @defaultValue 'out-in' */
  layout?: WeightLayout;
}

function check(rotations: readonly Matrix[], channels: number, heads: number | undefined, argument: string) {
  if (rotations.length === 0) {
    throw new QuantError('QUANT_SHAPE_MISMATCH', 'at least one rotation is needed', {
      details: { argument: 'rotations' },
    });
  }
  const hd = rotations[0].rows;
  rotations.forEach((r, i) => {
    assertSquare(r, `rotations[${i}]`, hd);
  });
  const count = heads ?? rotations.length;
  if (channels !== count * hd || count % rotations.length !== 0) {
    throw new QuantError(
      'QUANT_SHAPE_MISMATCH',
      `${argument}: ${channels} channels are not ${count} heads of ${hd} grouped over ${rotations.length} rotations`,
      { details: { argument, channels, heads: count, headDim: hd, rotations: rotations.length } },
    );
  }
  return { hd, count, perRotation: count / rotations.length };
}

/** v_proj: rotate each KV head's output block by its R2 (one rotation per KV head). */
export function rotateHeadsOutput<T extends FloatArray>(
  weight: Matrix<T>,
  rotations: readonly Matrix[],
  options: RotateHeadsOptions = {},
): Matrix<T> {
  assertMatrix(weight, 'weight');
  const layout = options.layout ?? 'out-in';
  const { rows, cols, data } = weight;
  const { hd } = check(rotations, layout === 'out-in' ? rows : cols, undefined, 'weight');
  const out = (
    data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length)
  ) as T;
  rotations.forEach((rotation, j) => {
    const r = rotation.data;
    if (layout === 'out-in') {
      // rows j·hd + a ← Σ_b R[b, a] W[j·hd + b, :]
      for (let a = 0; a < hd; a++) {
        const dst = (j * hd + a) * cols;
        for (let b = 0; b < hd; b++) {
          const coef = r[b * hd + a];
          if (coef === 0) continue;
          const src = (j * hd + b) * cols;
          for (let c = 0; c < cols; c++) out[dst + c] += coef * data[src + c];
        }
      }
    } else {
      // columns j·hd + a of B ← Σ_b B[:, j·hd + b] R[b, a]
      for (let i = 0; i < rows; i++) {
        const row = i * cols + j * hd;
        for (let a = 0; a < hd; a++) {
          let s = 0;
          for (let b = 0; b < hd; b++) s += data[row + b] * r[b * hd + a];
          out[row + a] = s;
        }
      }
    }
  });
  return { rows, cols, data: out };
}

/** o_proj: rotate each query head's input block by the R2 of its KV head. */
export function rotateHeadsInput<T extends FloatArray>(
  weight: Matrix<T>,
  rotations: readonly Matrix[],
  options: RotateHeadsOptions & { numHeads: number },
): Matrix<T> {
  assertMatrix(weight, 'weight');
  const layout = options.layout ?? 'out-in';
  const { rows, cols, data } = weight;
  const { hd, count, perRotation } = check(
    rotations,
    layout === 'out-in' ? cols : rows,
    options.numHeads,
    'weight',
  );
  const out = (
    data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length)
  ) as T;
  for (let h = 0; h < count; h++) {
    const r = rotations[Math.floor(h / perRotation)].data;
    if (layout === 'out-in') {
      // W[:, h·hd + a] ← Σ_b W[:, h·hd + b] R[b, a]
      for (let i = 0; i < rows; i++) {
        const row = i * cols + h * hd;
        for (let a = 0; a < hd; a++) {
          let s = 0;
          for (let b = 0; b < hd; b++) s += data[row + b] * r[b * hd + a];
          out[row + a] = s;
        }
      }
    } else {
      // B[h·hd + a, :] ← Σ_b R[b, a] B[h·hd + b, :]
      for (let a = 0; a < hd; a++) {
        const dst = (h * hd + a) * cols;
        for (let b = 0; b < hd; b++) {
          const coef = r[b * hd + a];
          if (coef === 0) continue;
          const src = (h * hd + b) * cols;
          for (let c = 0; c < cols; c++) out[dst + c] += coef * data[src + c];
        }
      }
    }
  }
  return { rows, cols, data: out };
}
