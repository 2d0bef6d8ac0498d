/**
 * RMSNorm folding (QuaRot `rotation_utils.fuse_layer_norms`, SpinQuant `utils/fuse_norm_utils.py`;
 * brief §7.1): RMSNorm(x)·γ followed by a linear W equals the plain x/rms(x) followed by W·diag(γ),
 * because (n ⊙ γ) Wᵀ = n (W diag γ)ᵀ. After folding γ into every consumer (q,k,v ← input_layernorm;
 * gate,up ← post_attention_layernorm; lm_head ← final norm), set γ = 1; the pure x/rms(x) then commutes
 * with any orthogonal R1 since rms(xR) = rms(x) (eps included).
 */
import { QuantError } from '../errors';
import { assertMatrix } from '../internal/validate';
import type { FloatArray, Matrix, WeightLayout } from '../types';

export interface FoldRmsNormOptions {
  /** `'out-in'` (PyTorch [out, in]) or `'in-out'` (ONNX MatMul B [in, out]). @defaultValue 'out-in' */
  layout?: WeightLayout;
}

/** W·diag(γ) for `[out, in]` (scales columns), or diag(γ)·B for `[in, out]` (scales rows). */
export function foldRmsNormWeight<T extends FloatArray>(
  gamma: FloatArray,
  weight: Matrix<T>,
  options: FoldRmsNormOptions = {},
): Matrix<T> {
  assertMatrix(weight, 'weight');
  const layout = options.layout ?? 'out-in';
  const inDim = layout === 'out-in' ? weight.cols : weight.rows;
  if (gamma.length !== inDim) {
    throw new QuantError(
      'QUANT_SHAPE_MISMATCH',
      `gamma has ${gamma.length} values, the weight ${inDim} inputs`,
      {
        details: { argument: 'gamma', length: gamma.length, expected: inDim, layout },
      },
    );
  }
  const { rows, cols, data } = weight;
  const out = (
    data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length)
  ) as T;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = data[r * cols + c] * gamma[layout === 'out-in' ? c : r];
    }
  }
  return { rows, cols, data: out };
}
