import {
  type Backend,
  type BackendRequest,
  findDecoderAnatomy,
  loadBackend,
  type OnnxModel,
  type ProgressCallback,
  type Tensor,
  throwIfAborted,
} from '@x/core';
import { centerGram } from '../allocation/cka';
import { allocateLosa, computeLosaImportanceFromGrams, losaDelta } from '../allocation/losa';
import { invalidOption } from '../errors';
import { checkSparsity } from '../internal/validate';
import { carryInto, runOverSamples, toFloat32 } from './run-blocks';

export interface LosaModelAllocationOptions {
  /** Target mean sparsity s_t. */
  sparsity: number;
  /** Calibration token-id sequences of one length (LoSA uses 64 C4 samples). */
  calibration: readonly ArrayLike<number | bigint>[];
  /** β in `imp = exp(−β·s)`. @defaultValue 1 */
  beta?: number;
  /** Bound δ. @defaultValue losaDelta(sparsity): 0.01 up to 0.5, 0.02 up to 0.6, 0.03 above */
  delta?: number;
  backend?: Backend | BackendRequest;
  threads?: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface LosaModelAllocationResult {
  /** One sparsity per decoder layer (mean s_t, within ±δ): pass it as `pruneModel`'s `layerSparsity`. */
  layerSparsity: number[];
  /** `exp(−β·s_l)`: higher means more important (kept denser). */
  importance: number[];
  options: { sparsity: number; beta: number; delta: number; samples: number; seqlen: number };
}

/** The residual stream entering a block for one sample: the entry value, or the sum of the fused addends. */
function blockInput(carry: Record<string, Tensor>, names: readonly string[]): Float32Array {
  const first = toFloat32(carry[names[0]]);
  if (names.length === 1) return first;
  const sum = Float32Array.from(first);
  for (const name of names.slice(1)) {
    const other = toFloat32(carry[name]);
    for (let k = 0; k < sum.length; k++) sum[k] += other[k];
  }
  return sum;
}

/**
 * LoSA's training-free layer allocation (Huang et al., ICLR 2025, arXiv 2502.14816; brief §5): the dense model is
 * run block by block; each block's input, flattened per calibration sample, gives a Gram matrix over samples; linear
 * CKA between every pair of blocks gives the redundancy `s_l = Σ_{m≠l} CKA(l, m)` (normalized), `imp_l = exp(−β·s_l)`,
 * and `allocateLosa` solves the allocation exactly. The sparse-LoRA fine-tuning of LoSA is out of scope.
 */
export async function computeLosaAllocation(
  model: OnnxModel,
  options: LosaModelAllocationOptions,
): Promise<LosaModelAllocationResult> {
  checkSparsity(options.sparsity);
  const beta = options.beta ?? 1;
  const delta = options.delta ?? losaDelta(options.sparsity);
  const { calibration, signal } = options;
  if (!calibration || calibration.length < 2)
    throw invalidOption('calibration', 'LoSA needs at least two sequences');
  const anatomy = findDecoderAnatomy(model.proto);
  const requested = options.backend;
  const backend =
    requested && typeof requested === 'object' && 'createSession' in requested
      ? requested
      : await loadBackend(requested ?? { prefer: ['node', 'web'] });
  const common = { threads: options.threads, signal };
  let carries = await runOverSamples(backend, model, anatomy, calibration, {
    ...common,
    carry: [],
    outputs: carryInto(anatomy.layers[0]),
  });
  const samples = calibration.length;
  const grams: Float64Array[] = [];
  for (const layer of anatomy.layers) {
    throwIfAborted(signal, 'losa');
    const names = carryInto(layer);
    const features = carries.map((carry) => blockInput(carry, names));
    const gram = new Float64Array(samples * samples);
    for (let i = 0; i < samples; i++) {
      for (let j = i; j < samples; j++) {
        let sum = 0;
        const a = features[i];
        const b = features[j];
        for (let d = 0; d < a.length; d++) sum += a[d] * b[d];
        gram[i * samples + j] = sum;
        gram[j * samples + i] = sum;
      }
    }
    grams.push(centerGram(gram, samples));
    if (layer.index + 1 < anatomy.layers.length) {
      carries = await runOverSamples(backend, model, anatomy, calibration, {
        ...common,
        carry: names,
        carries,
        outputs: carryInto(anatomy.layers[layer.index + 1]),
      });
    }
    options.onProgress?.({ phase: 'losa', done: layer.index + 1, total: anatomy.layers.length });
  }
  const importance = computeLosaImportanceFromGrams(grams, beta);
  const layerSparsity = Array.from(allocateLosa(importance, { sparsity: options.sparsity, delta }));
  return {
    layerSparsity,
    importance: Array.from(importance),
    options: { sparsity: options.sparsity, beta, delta, samples, seqlen: calibration[0].length },
  };
}
