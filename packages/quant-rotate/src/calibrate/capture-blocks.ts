/**
 * Streaming capture, one decoder block at a time: the calibration sequences run through a subgraph per
 * block (core's `extractSubgraph`, between residual-stream values) in its own ORT session, and `visit`
 * receives block l's requested values for every sequence before block l + 1 runs. Only the residual stream
 * (one [tokens, d] tensor per sequence) is carried between blocks, so memory holds one block's session and
 * values, never the whole model's activations or a session of the whole model. The token embedding is a
 * plain row gather in TS when the graph's embedding is a Gather on input_ids (no session holding the
 * vocab × d table), else a subgraph like the blocks.
 */
import {
  type Backend,
  type DecoderAnatomy,
  extractSubgraph,
  graphInputsNeeded,
  type LayerAnatomy,
  type OnnxModel,
  type Tensor,
  throwIfAborted,
} from '@x/core';
import type { Matrix, ProgressCallback } from '../types';
import { createDecoderFeeds } from './decoder-feeds';

export interface CaptureBlocksOptions {
  phase: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  threads?: number;
}

/** The values that carry the residual stream into a layer (two addends for a fused Skip norm). */
function carryInto(layer: LayerAnatomy): string[] {
  const norm = layer.inputNorm;
  return norm.kind === 'skip-simplified-layer-norm' && norm.skipInputs
    ? [...norm.skipInputs]
    : [layer.residual.entry];
}

function asMatrix(tensor: Tensor): Matrix<Float32Array> {
  const cols = tensor.dims[tensor.dims.length - 1];
  const data = tensor.data as Float32Array;
  return { rows: data.length / cols, cols, data };
}

/** The embedding output per sequence by a TS row gather, or undefined when the graph is not a plain Gather. */
function gatherEmbedding(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  carry: readonly string[],
  sequences: readonly (readonly number[])[],
): Record<string, Tensor>[] | undefined {
  const { embedding, io } = anatomy;
  const node = (model.graph().node ?? []).find((n) => n.name === embedding.node);
  if (
    carry.length !== 1 ||
    carry[0] !== embedding.output ||
    node?.opType !== 'Gather' ||
    node.input?.[0] !== embedding.weight ||
    node.input?.[1] !== io.inputIds
  )
    return undefined;
  const table = model.getInitializer(embedding.weight);
  if (table.dtype !== 'float32') return undefined;
  const e = table.data as Float32Array;
  const d = embedding.hiddenSize;
  return sequences.map((ids) => {
    const data = new Float32Array(ids.length * d);
    ids.forEach((id, t) => {
      data.set(e.subarray(id * d, (id + 1) * d), t * d);
    });
    return { [carry[0]]: { dtype: 'float32', dims: [1, ids.length, d], data } };
  });
}

async function runStage(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  backend: Backend,
  sequences: readonly (readonly number[])[],
  carry: readonly string[],
  carries: readonly Record<string, Tensor>[] | undefined,
  outputs: readonly string[],
  options: CaptureBlocksOptions,
): Promise<Record<string, Tensor>[]> {
  const graph = model.graph();
  const needed = graphInputsNeeded(graph, outputs, carry);
  const types: Record<string, { dtype: Tensor['dtype']; dims: (number | string)[] }> = {};
  if (carries) {
    for (const name of carry) {
      const tensor = carries[0][name];
      // Only the channel count is fixed; sequences may differ in length.
      types[name] = {
        dtype: tensor.dtype,
        dims: tensor.dims.map((v, i) => (i === tensor.dims.length - 1 ? v : `carry_${i}`)),
      };
    }
  }
  const subgraph = extractSubgraph(model, { inputs: [...carry, ...needed], outputs, types });
  const session = await backend.createSession(subgraph, {
    graphOptimizationLevel: 'basic',
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const results: Record<string, Tensor>[] = [];
  try {
    for (let s = 0; s < sequences.length; s++) {
      throwIfAborted(options.signal, options.phase);
      const all = createDecoderFeeds(anatomy, sequences[s]);
      const feeds: Record<string, Tensor> = {};
      for (const name of needed) feeds[name] = all[name];
      if (carries) for (const name of carry) feeds[name] = carries[s][name];
      results.push(await session.run(feeds, [...outputs]));
    }
  } finally {
    await session.release();
  }
  return results;
}

/**
 * Runs `sequences` block by block and calls `visit(l, values)` with, for each requested value of layer l
 * (`valuesOf(layer)`), one `[tokens, channels]` matrix per sequence.
 */
export async function captureBlocks(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  backend: Backend,
  sequences: readonly (readonly number[])[],
  valuesOf: (layer: LayerAnatomy) => readonly string[],
  visit: (layer: number, values: Map<string, Matrix<Float32Array>[]>) => void,
  options: CaptureBlocksOptions,
): Promise<void> {
  const { layers } = anatomy;
  let carry = carryInto(layers[0]);
  let carries =
    gatherEmbedding(model, anatomy, carry, sequences) ??
    (await runStage(model, anatomy, backend, sequences, [], undefined, carry, options));
  for (let l = 0; l < layers.length; l++) {
    throwIfAborted(options.signal, options.phase);
    const wanted = [...new Set(valuesOf(layers[l]))];
    const next = l + 1 < layers.length ? carryInto(layers[l + 1]) : [];
    const outputs = [...new Set([...wanted, ...next])];
    const results = await runStage(model, anatomy, backend, sequences, carry, carries, outputs, options);
    const values = new Map(wanted.map((name) => [name, results.map((r) => asMatrix(r[name]))]));
    visit(l, values);
    carries = results.map((r) => Object.fromEntries(next.map((name) => [name, r[name]])));
    carry = next;
    options.onProgress?.({ phase: options.phase, done: l + 1, total: layers.length });
  }
}
