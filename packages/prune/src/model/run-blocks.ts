import {
  type Backend,
  createAttribute,
  createValueInfo,
  type DecoderAnatomy,
  extractSubgraph,
  float16ToFloat32,
  graphInputsNeeded,
  type LayerAnatomy,
  type OnnxModel,
  onnx,
  type Session,
  type Tensor,
  throwIfAborted,
} from '@x/core';
import { PruneError } from '../errors';

import { buildSampleFeeds } from './sample-feeds';

/**
 * The values that carry the residual stream into a layer: its `entry`, or, where the layer's input norm is a fused
 * SkipSimplifiedLayerNormalization (ORT contrib), the two addends that node sums.
 */
export function carryInto(layer: LayerAnatomy): string[] {
  const norm = layer.inputNorm;
  return norm.kind === 'skip-simplified-layer-norm' && norm.skipInputs
    ? [...norm.skipInputs]
    : [layer.residual.entry];
}

/** The output name under which `runOverSamples` returns the Gram matrix of a linear input. */
export function gramName(input: string): string {
  return `${input}::x-prune-gram`;
}

/** Appends `gram = Gemm(transA=1)(X, X)` over `X = Cast<float32>(Reshape(input, [-1, columns]))` and exposes it. */
function appendGram(model: OnnxModel, input: string, columns: number): string {
  const graph = model.graph();
  const output = gramName(input);
  const shape = `${output}/shape`;
  graph.initializer = [
    ...(graph.initializer ?? []),
    onnx.TensorProto.create({ name: shape, dims: [2], dataType: 7, int64Data: [-1, columns] }),
  ];
  graph.node = [
    ...(graph.node ?? []),
    onnx.NodeProto.create({
      name: `${output}/reshape`,
      opType: 'Reshape',
      input: [input, shape],
      output: [`${output}/2d`],
    }),
    onnx.NodeProto.create({
      name: `${output}/cast`,
      opType: 'Cast',
      input: [`${output}/2d`],
      output: [`${output}/float`],
      attribute: [createAttribute('to', 1)],
    }),
    onnx.NodeProto.create({
      name: `${output}/gemm`,
      opType: 'Gemm',
      input: [`${output}/float`, `${output}/float`],
      output: [output],
      attribute: [createAttribute('transA', 1)],
    }),
  ];
  graph.output = [
    ...(graph.output ?? []),
    createValueInfo(output, { dtype: 'float32', dims: [columns, columns] }),
  ];
  return output;
}

export function toFloat32(tensor: Tensor): Float32Array {
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

export interface RunOptions {
  /** Values fed from `carries` (the residual stream so far); empty for the embedding. */
  carry: readonly string[];
  carries?: readonly Record<string, Tensor>[];
  outputs: readonly string[];
  threads: number | undefined;
  signal: AbortSignal | undefined;
  onValues?: (values: Record<string, Tensor>) => void;
  /**
   * Linear inputs whose Gram matrix `XᵀX` ORT should compute in the same run (a Cast + Gemm(transA) appended to the
   * subgraph), fetched as `gramName(input)`: SparseGPT's Hessian at ORT's GEMM speed.
   */
  grams?: readonly { input: string; columns: number }[];
  /** With `onValues`: the outputs still returned per sequence (default none). */
  keep?: readonly string[];
  onSample?: (done: number) => void;
}

/**
 * Runs the subgraph `carry (+ the graph inputs it needs) -> outputs` once per calibration sequence, in one session
 * released at the end. Returns the outputs of every sequence (when nobody consumes them through `onValues`).
 */
export async function runOverSamples(
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
  const fetches = [...options.outputs];
  for (const { input, columns } of options.grams ?? []) fetches.push(appendGram(subgraph, input, columns));
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
      const values = await session.run(feeds, fetches);
      if (options.onValues) {
        options.onValues(values);
        if (options.keep) results.push(Object.fromEntries(options.keep.map((name) => [name, values[name]])));
      } else results.push(values);
      options.onSample?.(sample + 1);
    }
  } finally {
    await session?.release();
  }
  return results;
}
