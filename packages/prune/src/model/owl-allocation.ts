import {
  type Backend,
  type BackendRequest,
  findDecoderAnatomy,
  loadBackend,
  type OnnxModel,
  type ProgressCallback,
  throwIfAborted,
} from '@x/core';
import { allocateOwl, computeOutlierRatio } from '../allocation/owl';
import { createInputNormAccumulator, type InputNormAccumulator } from '../calibrate/input-norms';
import { invalidOption } from '../errors';
import { checkSparsity } from '../internal/validate';
import { scoreWanda } from '../methods/wanda';
import { readLinearWeight } from './linear-weight';
import { carryInto, runOverSamples, toFloat32 } from './run-blocks';

export interface OwlAllocationOptions {
  /** Target mean sparsity S. */
  sparsity: number;
  /** Calibration token-id sequences of one length. */
  calibration: readonly ArrayLike<number | bigint>[];
  /** λ: layer sparsities span [S − λ, S + λ]. @defaultValue 0.08 */
  lambda?: number;
  /** M (`Hyper_m`): a score is an outlier above M × the block mean. @defaultValue 5 */
  outlierMultiplier?: number;
  backend?: Backend | BackendRequest;
  threads?: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface OwlAllocationResult {
  /** One sparsity per decoder layer (mean S): pass it as `pruneModel`'s `layerSparsity`. */
  layerSparsity: number[];
  /** D_l, the percentage of outlier Wanda scores in each block. */
  outlierRatios: number[];
  options: { sparsity: number; lambda: number; outlierMultiplier: number; samples: number; seqlen: number };
}

/**
 * OWL's first pass (Yin et al., ICML 2024, arXiv 2310.05175; brief §6): the dense model is run block by block on the
 * calibration set, each block's Wanda scores `|W|·‖X‖` over all its linears give its outlier ratio D_l, and
 * `allocateOwl` turns the ratios into layer sparsities. Memory: the residual stream plus one block's input norms.
 */
export async function computeOwlAllocation(
  model: OnnxModel,
  options: OwlAllocationOptions,
): Promise<OwlAllocationResult> {
  checkSparsity(options.sparsity);
  const lambda = options.lambda ?? 0.08;
  const outlierMultiplier = options.outlierMultiplier ?? 5;
  const { calibration, signal } = options;
  if (!calibration || calibration.length === 0)
    throw invalidOption('calibration', 'OWL needs calibration sequences');
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
  const outlierRatios: number[] = [];
  for (const layer of anatomy.layers) {
    throwIfAborted(signal, 'owl');
    const projections = [layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down];
    const norms = new Map<string, InputNormAccumulator>();
    for (const projection of projections)
      norms.set(projection.input, createInputNormAccumulator(projection.inFeatures));
    const next = layer.index + 1 < anatomy.layers.length ? carryInto(anatomy.layers[layer.index + 1]) : [];
    carries = await runOverSamples(backend, model, anatomy, calibration, {
      ...common,
      carry: carryInto(layer),
      carries,
      outputs: [...norms.keys(), ...next],
      keep: next,
      onValues: (values) => {
        for (const [name, accumulator] of norms) {
          const data = toFloat32(values[name]);
          accumulator.add(data, data.length / accumulator.columns);
        }
      },
    });
    const scores = projections.map((projection) =>
      scoreWanda(
        readLinearWeight(model, projection).weight,
        (norms.get(projection.input) as InputNormAccumulator).result(),
      ),
    );
    outlierRatios.push(computeOutlierRatio(scores, outlierMultiplier));
    options.onProgress?.({ phase: 'owl', done: layer.index + 1, total: anatomy.layers.length });
  }
  const layerSparsity = Array.from(allocateOwl(outlierRatios, { sparsity: options.sparsity, lambda }));
  return {
    layerSparsity,
    outlierRatios,
    options: {
      sparsity: options.sparsity,
      lambda,
      outlierMultiplier,
      samples: calibration.length,
      seqlen: calibration[0].length,
    },
  };
}
