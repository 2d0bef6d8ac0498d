import {
  type Backend,
  findDecoderAnatomy,
  loadBackend,
  type OnnxModel,
  type ProjectionAnatomy,
  type Tensor,
  throwIfAborted,
} from '@x/core';
import { getKernels } from '@x/kernels-wasm';
import {
  createLayerStatisticsAccumulator,
  type LayerStatistics,
  type LayerStatisticsAccumulator,
} from '../calibrate/layer-statistics';
import { dsnotSkips } from '../methods/dsnot';
import { pruneLinear, requiredStatistics } from '../methods/prune-linear';
import type { LinearProjection, SparsityPattern } from '../types';
import { readLinearWeight, toInitializerTensor } from './linear-weight';
import { computeLosaAllocation, type LosaModelAllocationResult } from './losa-allocation';
import { computeOwlAllocation, type OwlAllocationResult } from './owl-allocation';
import {
  type PruneModelOptions,
  type ResolvedPruneModelOptions,
  resolvePruneModelOptions,
} from './prune-model-options';
import type { PrunedLinearReport, PruneReport } from './prune-report';
import { carryInto, gramName, runOverSamples, toFloat32 } from './run-blocks';

export interface PruneModelResult {
  /** A new model with the pruned weights (the input model is not modified). */
  model: OnnxModel;
  report: PruneReport;
}

const PROJECTION_KEYS: Record<LinearProjection, 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down'> = {
  q_proj: 'q',
  k_proj: 'k',
  v_proj: 'v',
  o_proj: 'o',
  gate_proj: 'gate',
  up_proj: 'up',
  down_proj: 'down',
};

const now = () => performance.now() / 1000;

/**
 * Prunes every selected linear of a Llama-family ONNX decoder with the papers' sequential protocol (Wanda §3,
 * SparseGPT §4, DSnoT §4; brief §0): block l is calibrated on inputs produced by the already-pruned blocks before
 * it, one block at a time in ORT (a subgraph per block from `extractSubgraph`, between the residual-stream values
 * found by `findDecoderAnatomy`), statistics for all its linears are gathered in one pass of the unpruned block,
 * the block is pruned, and the pruned block is re-run to produce the next block's inputs. Memory: the residual
 * stream of the calibration set plus one block's statistics. Works on decomposed and fused (contrib-op) exports.
 *
 * Errors: PRUNE_* from the options and cores, PRUNE_UNSUPPORTED_MODEL (quantized weights), X_UNSUPPORTED_ARCHITECTURE
 * (not a Llama-family decoder), X_BACKEND_UNAVAILABLE, X_ABORTED.
 */
export async function pruneModel(
  model: OnnxModel,
  options: PruneModelOptions = {},
): Promise<PruneModelResult> {
  const started = now();
  const anatomy = findDecoderAnatomy(model.proto);
  const resolved = resolvePruneModelOptions(options, anatomy.layers.length);
  // The linears get SparseGPT's kernels; the report echoes the options without the instance.
  const methodOptions = await defaultMethodOptions(resolved.method, resolved.methodOptions);
  if ('kernels' in resolved.methodOptions) {
    resolved.methodOptions = {
      ...resolved.methodOptions,
      kernels: methodOptions.kernels ? 'kernels-wasm' : 'none',
    };
  }
  const { signal, onProgress } = options;
  throwIfAborted(signal, 'prune');
  const output = model.clone();
  const timings = {
    allocationSeconds: 0,
    captureSeconds: 0,
    calibrateSeconds: 0,
    pruneSeconds: 0,
    propagateSeconds: 0,
    totalSeconds: 0,
  };
  const linears: PrunedLinearReport[] = [];
  const selected = new Set(resolved.layers);
  const lastSelected = Math.max(-1, ...resolved.layers);
  const needsData = resolved.calibration.samples > 0;
  const calibration = options.calibration ?? [];
  let owl: OwlAllocationResult | undefined;
  let losa: LosaModelAllocationResult | undefined;
  const { allocation } = resolved;
  if (allocation.kind !== 'uniform' && resolved.sparsity.kind === 'unstructured') {
    const t = now();
    const common = {
      sparsity: resolved.sparsity.sparsity,
      calibration,
      backend: options.backend,
      threads: options.threads,
      onProgress,
      signal,
    };
    if (allocation.kind === 'owl') {
      owl = await computeOwlAllocation(model, { ...common, ...allocation });
      resolved.layerSparsity = owl.layerSparsity;
    } else {
      losa = await computeLosaAllocation(model, {
        ...common,
        beta: allocation.beta,
        delta: allocation.delta,
      });
      resolved.layerSparsity = losa.layerSparsity;
    }
    timings.allocationSeconds += now() - t;
  }

  let backend: Backend | undefined;
  let carries: Record<string, Tensor>[] = [];
  if (needsData) {
    const requested = options.backend;
    backend =
      requested && typeof requested === 'object' && 'createSession' in requested
        ? requested
        : await loadBackend(requested ?? { prefer: ['node', 'web'] });
    const t0 = now();
    carries = await runOverSamples(backend, output, anatomy, calibration, {
      carry: [],
      outputs: carryInto(anatomy.layers[0]),
      threads: options.threads,
      signal,
      onSample: (done) => onProgress?.({ phase: 'capture', done, total: calibration.length }),
    });
    timings.captureSeconds += now() - t0;
  }

  for (let index = 0; index < anatomy.layers.length && index <= lastSelected; index++) {
    throwIfAborted(signal, 'prune-layer');
    const layer = anatomy.layers[index];
    const carry = carryInto(layer);
    const targets = selected.has(index) ? resolved.projections : [];
    const pattern: SparsityPattern = resolved.layerSparsity
      ? { kind: 'unstructured', sparsity: resolved.layerSparsity[index] }
      : resolved.sparsity;
    // Statistics of each distinct linear input (q/k/v and gate/up share theirs), from the unpruned block.
    const statistics = new Map<string, LayerStatisticsAccumulator>();
    for (const projectionName of targets) {
      const projection = layer[PROJECTION_KEYS[projectionName]];
      const kinds = requiredStatistics(
        linearOptions(resolved, methodOptions, pattern, projectionName),
        resolved.measureError,
      );
      if (kinds.length === 0) continue;
      const existing = statistics.get(projection.input);
      const union = new Set([...(existing?.kinds ?? []), ...kinds]);
      statistics.set(projection.input, createLayerStatisticsAccumulator(projection.inFeatures, [...union]));
    }
    if (statistics.size > 0) {
      const t0 = now();
      await runOverSamples(backend as Backend, output, anatomy, calibration, {
        carry,
        carries,
        outputs: [...statistics.keys()],
        grams: [...statistics]
          .filter(([, accumulator]) => accumulator.kinds.includes('hessian'))
          .map(([input, accumulator]) => ({ input, columns: accumulator.columns })),
        threads: options.threads,
        signal,
        onValues: (values) => {
          for (const [name, accumulator] of statistics) {
            const data = toFloat32(values[name]);
            const gram = values[gramName(name)]?.data as Float32Array | undefined;
            accumulator.add(data, data.length / accumulator.columns, { gram });
          }
        },
      });
      timings.calibrateSeconds += now() - t0;
    }
    const t1 = now();
    // One result per distinct input, so linears reading it share the arrays (and SparseGPT's factorization).
    const finished = new Map([...statistics].map(([name, accumulator]) => [name, accumulator.result()]));
    for (const projectionName of targets) {
      const projection = layer[PROJECTION_KEYS[projectionName]];
      linears.push(
        pruneProjection(
          output,
          projection,
          index,
          projectionName,
          pattern,
          resolved,
          methodOptions,
          finished,
        ),
      );
    }
    timings.pruneSeconds += now() - t1;
    onProgress?.({ phase: 'prune-layer', done: index + 1, total: lastSelected + 1 });
    // Inputs of the next block come from this block as pruned.
    if (needsData && index < lastSelected) {
      const t2 = now();
      carries = await runOverSamples(backend as Backend, output, anatomy, calibration, {
        carry,
        carries,
        outputs: carryInto(anatomy.layers[index + 1]),
        threads: options.threads,
        signal,
      });
      timings.propagateSeconds += now() - t2;
    }
  }

  let zeros = 0;
  let total = 0;
  for (const linear of linears) {
    zeros += Math.round(linear.sparsity * linear.rows * linear.columns);
    total += linear.rows * linear.columns;
  }
  timings.totalSeconds = now() - started;
  const report: PruneReport = {
    tool: '@x/prune',
    options: resolved,
    backend: backend?.name,
    numLayers: anatomy.layers.length,
    outlierRatios: owl?.outlierRatios,
    layerImportance: losa?.importance,
    skippedLayers: anatomy.layers.map((layer) => layer.index).filter((index) => !selected.has(index)),
    linears,
    sparsity: total === 0 ? 0 : zeros / total,
    prunedParameters: zeros,
    totalParameters: total,
    timings,
  };
  return { model: output, report };
}

/**
 * SparseGPT runs its Cholesky factorization/inverse and lazy batch updates as @x/kernels-wasm fp32 GEMMs by default
 * (as the official code runs them in fp32 on a GPU; brief §2); `methodOptions.kernels` set by the caller wins
 * (`undefined` = the float64 TypeScript loops). When the kernels cannot load, the TypeScript path runs.
 */
async function defaultMethodOptions(
  method: ResolvedPruneModelOptions['method'],
  methodOptions: object,
): Promise<object & { kernels?: unknown }> {
  if (method !== 'sparsegpt' || 'kernels' in methodOptions) return methodOptions;
  const kernels = await getKernels().catch(() => undefined);
  return { ...methodOptions, kernels };
}

function linearOptions(
  resolved: ResolvedPruneModelOptions,
  methodOptions: object,
  pattern: SparsityPattern,
  projection: LinearProjection,
) {
  const block =
    projection === 'gate_proj' || projection === 'up_proj' || projection === 'down_proj'
      ? 'mlp'
      : 'self_attn';
  const { dsnot } = resolved;
  const useDsnot = dsnot !== false && !dsnotSkips(dsnot.skipLayer, block);
  return {
    method: resolved.method,
    pattern,
    methodOptions,
    dsnot: useDsnot && dsnot ? dsnot : false,
    dsnotSparseGptBase: resolved.dsnotSparseGptBase,
    measureError: resolved.measureError,
  };
}

function pruneProjection(
  output: OnnxModel,
  projection: ProjectionAnatomy,
  layer: number,
  projectionName: LinearProjection,
  pattern: SparsityPattern,
  resolved: ResolvedPruneModelOptions,
  methodOptions: object,
  statistics: Map<string, LayerStatistics>,
): PrunedLinearReport {
  const t0 = now();
  const stored = readLinearWeight(output, projection);
  const options = linearOptions(resolved, methodOptions, pattern, projectionName);
  const result = pruneLinear(stored.weight, statistics.get(projection.input), options);
  const dims = output.getInitializer(projection.weight).dims;
  output.setInitializer(projection.weight, toInitializerTensor(stored, result.weight, dims));
  return {
    layer,
    projection: projectionName,
    node: projection.node,
    initializer: projection.weight,
    rows: stored.weight.rows,
    columns: stored.weight.columns,
    sparsity: result.sparsity,
    dsnot: options.dsnot !== false,
    dsnotError: result.dsnot,
    reconstructionError: result.reconstructionError,
    seconds: now() - t0,
  };
}
