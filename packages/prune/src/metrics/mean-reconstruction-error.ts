import { invalidOption } from '../errors';
import { checkLength, checkWeightMatrix } from '../internal/validate';
import type { WeightMatrix } from '../types';

/**
 * The part of `reconstructionErrorFromHessian` carried by the inputs' mean, per row: with `H = (2/S) Σ_tokens xxᵀ`
 * over S sequences of L tokens (`L = tokens/samples`), `δᵀHδ = 2L·(δ·μ)² + 2L·δᵀΣδ` where μ is the token mean and
 * Σ the token covariance. This returns `2L·(δ_i·μ)²`. It is what DSnoT steers (its ε_i = δ_i·xsum = L·δ_i·μ,
 * arXiv 2310.08915 §3.2; brief §3.2): `ε_i² · 2/L`. The rest, `total − mean`, is the variance part DSnoT ignores.
 */
export function meanReconstructionError(
  dense: WeightMatrix,
  pruned: WeightMatrix,
  mean: ArrayLike<number>,
  tokensPerSample: number,
): Float64Array {
  checkWeightMatrix(dense, 'dense');
  checkWeightMatrix(pruned, 'pruned');
  const { rows, columns } = dense;
  checkLength(pruned.data, rows * columns, 'pruned');
  checkLength(mean, columns, 'mean');
  if (!(tokensPerSample > 0) || !Number.isFinite(tokensPerSample)) {
    throw invalidOption(
      'tokensPerSample',
      `must be a finite number > 0, got ${tokensPerSample}`,
      tokensPerSample,
    );
  }
  const result = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let dot = 0;
    for (let j = 0; j < columns; j++) {
      dot += (dense.data[i * columns + j] - pruned.data[i * columns + j]) * mean[j];
    }
    result[i] = 2 * tokensPerSample * dot * dot;
  }
  return result;
}
