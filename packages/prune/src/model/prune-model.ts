import {
  type Backend,
  type DecoderAnatomy,
  extractSubgraph,
  findDecoderAnatomy,
  float16ToFloat32,
  type LayerAnatomy,
  loadBackend,
  type OnnxModel,
  type ProjectionAnatomy,
  type Session,
  type Tensor,
  throwIfAborted,
} from '@x/core';
import {
  createLayerStatisticsAccumulator,
  type LayerStatisticsAccumulator,
} from '../calibrate/layer-statistics';
import { PruneError } from '../errors';
import { dsnotSkips } from '../methods/dsnot';
import { pruneLinear, requiredStatistics } from '../methods/prune-linear';
import type { LinearProjection, SparsityPattern } from '../types';
import { graphInputsNeeded } from './graph-inputs-needed';
import { readLinearWeight, toInitializerTensor } from './linear-weight';
import {
  type PruneModelOptions,
  type ResolvedPruneModelOptions,
  resolvePruneModelOptions,
} from './prune-model-options';
import type { PrunedLinearReport, PruneReport } from './prune-report';
import { buildSampleFeeds } from './sample-feeds';

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

/**
 * The values that carry the residual stream into a layer: its `entry`, or, where the layer's input norm is a fused
 * SkipSimplifiedLayerNormalization (ORT contrib), the two addends that node sums.
 */
function carryInto(layer: LayerAnatomy): string[] {
  const norm = layer.inputNorm;
  return norm.kind === 'skip-simplified-layer-norm' && norm.skipInputs
    ? [...norm.skipInputs]
    : [layer.residual.entry];
}

function toFloat32(tensor: Tensor): Float32Array {
  if (tensor.dtype === 'float32') return tensor.data as Float32Array;
  if (tensor.dtype === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  throw new PruneError(
    'PRUNE_UNSUPPORTED_MODEL',
    `linear input of dtype ${tensor.dtype} cannot be calibrated`,
    {
      details: { dtype: tensor.dtype },
    },
  );
}

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
  const { signal, onProgress } = options;
  throwIfAborted(signal, 'prune');
  const output = model.clone();
  const timings = {
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
        linearOptions(resolved, pattern, projectionName),
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
        threads: options.threads,
        signal,
        onValues: (values) => {
          for (const [name, accumulator] of statistics) {
            const data = toFloat32(values[name]);
            accumulator.add(data, data.length / accumulator.columns);
          }
        },
      });
      timings.calibrateSeconds += now() - t0;
    }
    const t1 = now();
    for (const projectionName of targets) {
      const projection = layer[PROJECTION_KEYS[projectionName]];
      linears.push(pruneProjection(output, projection, index, projectionName, pattern, resolved, statistics));
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
    skippedLayers: anatomy.layers.map((layer) => layer.index).filter((index) => !selected.has(index)),
    linears,
    sparsity: total === 0 ? 0 : zeros / total,
    prunedParameters: zeros,
    totalParameters: total,
    timings,
  };
  return { model: output, report };
}

function linearOptions(
  resolved: ResolvedPruneModelOptions,
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
    methodOptions: resolved.methodOptions,
    dsnot: useDsnot && dsnot ? dsnot : false,
    dsnotSparseGptBase: resolved.dsnotSparseGptBase,
  };
}

function pruneProjection(
  output: OnnxModel,
  projection: ProjectionAnatomy,
  layer: number,
  projectionName: LinearProjection,
  pattern: SparsityPattern,
  resolved: ResolvedPruneModelOptions,
  statistics: Map<string, LayerStatisticsAccumulator>,
): PrunedLinearReport {
  const t0 = now();
  const stored = readLinearWeight(output, projection);
  const options = linearOptions(resolved, pattern, projectionName);
  const result = pruneLinear(stored.weight, statistics.get(projection.input)?.result(), options);
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

interface RunOptions {
  /** Values fed from `carries` (the residual stream so far); empty for the embedding. */
  carry: readonly string[];
  carries?: readonly Record<string, Tensor>[];
  outputs: readonly string[];
  threads: number | undefined;
  signal: AbortSignal | undefined;
  onValues?: (values: Record<string, Tensor>) => void;
  onSample?: (done: number) => void;
}

/**
 * Runs the subgraph `carry (+ the graph inputs it needs) -> outputs` once per calibration sequence, in one session
 * released at the end. Returns the outputs of every sequence (when nobody consumes them through `onValues`).
 */
async function runOverSamples(
  backend: Backend,
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  calibration: readonly ArrayLike<number | bigint>[],
  options: RunOptions,
): Promise<Record<string, Tensor>[]> {
  const graph = model.graph();
  const needed = graphInputsNeeded(graph, options.outputs, options.carry);
  // The residual-stream values rarely have value_info: declare them from the tensors the previous run produced.
  const types: Record<string, { dtype: Tensor['dtype']; dims: readonly number[] }> = {};
  for (const name of options.carry) {
    const tensor = (options.carries as Record<string, Tensor>[])[0][name];
    types[name] = { dtype: tensor.dtype, dims: tensor.dims };
  }
  const subgraph = extractSubgraph(model, {
    inputs: [...options.carry, ...needed],
    outputs: options.outputs,
    types,
  });
  let session: Session | undefined;
  const results: Record<string, Tensor>[] = [];
  try {
    session = await backend.createSession(subgraph, {
      graphOptimizationLevel: 'basic',
      ...(options.threads ? { threads: options.threads } : {}),
    });
    for (let sample = 0; sample < calibration.length; sample++) {
      throwIfAborted(options.signal, 'calibrate');
      const feeds = buildSampleFeeds(graph, anatomy, calibration[sample], needed);
      for (const name of options.carry)
        feeds[name] = (options.carries as Record<string, Tensor>[])[sample][name];
      const values = await session.run(feeds, options.outputs);
      if (options.onValues) options.onValues(values);
      else results.push(values);
      options.onSample?.(sample + 1);
    }
  } finally {
    await session?.release();
  }
  return results;
}
