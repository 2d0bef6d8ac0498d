import { invalidOption } from '../errors';
import { checkNonNegative, checkSparsity } from '../internal/validate';
import { centeredGram, ckaOfCenteredGrams } from './cka';

/**
 * LoSA's representation-mutual-information layer importance (Huang et al., ICLR 2025, arXiv 2502.14816; brief §5):
 * `s_l = Σ_{m≠l} CKA(l, m)`, normalized by `Σ_l s_l`; `imp_l = exp(−β·s_l)`. A layer whose input resembles every
 * other layer's is redundant, so it gets a low importance.
 * @param features per layer, the flattened block inputs `[samples, seqlen·hidden]` (row-major).
 * @param beta β. @defaultValue 1
 */
export function computeLosaImportance(
  features: readonly ArrayLike<number>[],
  samples: number,
  beta = 1,
): Float64Array {
  if (features.length < 2) throw invalidOption('features', 'needs at least two layers', features.length);
  return computeLosaImportanceFromGrams(
    features.map((layer, index) => centeredGram(layer, samples, `features[${index}]`)),
    beta,
  );
}

/**
 * The same importance from each layer's double-centred Gram matrix `H F Fᵀ H` (`samples x samples`), which is all
 * CKA needs: a pass over a model can accumulate Grams instead of keeping every layer's features.
 */
export function computeLosaImportanceFromGrams(
  centeredGrams: readonly ArrayLike<number>[],
  beta = 1,
): Float64Array {
  checkNonNegative(beta, 'beta');
  const layers = centeredGrams.length;
  if (layers < 2) throw invalidOption('features', 'needs at least two layers', layers);
  const similarity = new Float64Array(layers);
  for (let l = 0; l < layers; l++) {
    for (let m = l + 1; m < layers; m++) {
      const cka = ckaOfCenteredGrams(centeredGrams[l], centeredGrams[m]);
      similarity[l] += cka;
      similarity[m] += cka;
    }
  }
  let total = 0;
  for (let l = 0; l < layers; l++) total += similarity[l];
  const importance = new Float64Array(layers);
  for (let l = 0; l < layers; l++)
    importance[l] = Math.exp((-beta * similarity[l]) / (total === 0 ? 1 : total));
  return importance;
}

/** LoSA's bound δ for a target sparsity: 0.01 up to 0.5, 0.02 up to 0.6, 0.03 above (brief §5, official code). */
export function losaDelta(sparsity: number): number {
  return sparsity <= 0.5 ? 0.01 : sparsity <= 0.6 ? 0.02 : 0.03;
}

export interface LosaAllocationOptions {
  /** Target mean sparsity s_t in (0, 1). */
  sparsity: number;
  /** Bound δ: every layer lies in [s_t − δ, s_t + δ]. @defaultValue losaDelta(sparsity) */
  delta?: number;
}

/**
 * Layer sparsities that solve LoSA's linear program `min Σ x_l·imp_l` s.t. `mean(x) = s_t`, `x_l ∈ [s_t−δ, s_t+δ]`
 * exactly (the official code calls SLSQP): all layers start at the lower bound and the budget `L·δ` is given to
 * the least important layers first, up to the upper bound (a fractional knapsack; ties in index order). With an
 * odd layer count the middle layer lands at s_t. The LoRA fine-tuning of LoSA needs backprop and is out of scope.
 */
export function allocateLosa(importance: ArrayLike<number>, options: LosaAllocationOptions): Float64Array {
  const { sparsity } = options;
  checkSparsity(sparsity);
  const delta = options.delta ?? losaDelta(sparsity);
  checkNonNegative(delta, 'delta');
  if (sparsity - delta < 0 || sparsity + delta >= 1) {
    throw invalidOption(
      'delta',
      `[sparsity − delta, sparsity + delta] must lie in [0, 1), got ±${delta}`,
      delta,
    );
  }
  const layers = importance.length;
  if (layers === 0) throw invalidOption('importance', 'needs at least one layer', layers);
  const order = Array.from({ length: layers }, (_, l) => l).sort(
    (a, b) => importance[a] - importance[b] || a - b,
  );
  const result = new Float64Array(layers).fill(sparsity - delta);
  let budget = layers * delta;
  for (const l of order) {
    const add = Math.min(2 * delta, budget);
    result[l] += add;
    budget -= add;
    if (budget <= 0) break;
  }
  return result;
}
