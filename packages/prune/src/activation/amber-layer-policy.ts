import { invalidOption } from '../errors';
import type { LinearProjection } from '../types';

/**
 * Layers where Amber Pruner keeps q_proj and gate_proj dense, as reported (arXiv 2508.02128; brief §4, [2nd]).
 * LLaMA-3.1-8B: 56.1% of linear FLOPs sparsified; Qwen2-7B: 57.6%.
 */
export const AMBER_SKIP_LAYERS: Readonly<Record<'llama-3.1-8b' | 'qwen2-7b', readonly number[]>> = {
  'llama-3.1-8b': [19, 21, 28, 30, 31],
  'qwen2-7b': [0, 6, 23, 26, 27],
};

export interface AmberLayerPolicyOptions {
  /** Decoder layers whose q_proj and gate_proj stay dense (chosen by `amberSensitivity`). @defaultValue [] */
  skipLayers?: readonly number[];
}

/**
 * Amber Pruner's layer rules: k_proj and v_proj (cheap under GQA), o_proj and up_proj (sensitive) are never
 * sparsified; down_proj always is; q_proj and gate_proj are, except in `skipLayers`.
 */
export function amberSparsifies(
  projection: LinearProjection,
  layerIndex: number,
  options: AmberLayerPolicyOptions = {},
): boolean {
  switch (projection) {
    case 'k_proj':
    case 'v_proj':
    case 'o_proj':
    case 'up_proj':
      return false;
    case 'down_proj':
      return true;
    case 'q_proj':
    case 'gate_proj':
      return !(options.skipLayers ?? []).includes(layerIndex);
    default:
      throw invalidOption('projection', `unknown projection ${String(projection)}`, projection);
  }
}

/** Layer sensitivity `e = ‖Y − Y'‖₂ / (‖Y‖₂ + ε)` between dense and activation-sparse outputs; ε = 1e-12. */
export function amberSensitivity(dense: ArrayLike<number>, sparse: ArrayLike<number>): number {
  if (dense.length !== sparse.length) {
    throw invalidOption(
      'sparse',
      `length ${sparse.length} differs from dense ${dense.length}`,
      sparse.length,
    );
  }
  let difference = 0;
  let norm = 0;
  for (let k = 0; k < dense.length; k++) {
    difference += (dense[k] - sparse[k]) ** 2;
    norm += dense[k] ** 2;
  }
  return Math.sqrt(difference) / (Math.sqrt(norm) + 1e-12);
}
