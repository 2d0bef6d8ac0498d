import { type DecoderAnatomy, extractSubgraph, findDecoderAnatomy, type OnnxModel } from '@x/core';
import { KvCacheError } from '../errors';

/** One piece of the split decoder and the values that cross its borders. */
export interface SplitPiece {
  model: OnnxModel;
  inputs: string[];
  outputs: string[];
}

/** How the decoder is cut (docs/architecture/0004-generation-runtime.md). */
export interface SplitPlan {
  anatomy: DecoderAnatomy;
  /**
   * `pieces[0]`: ids (+ positions) → layer 0's hidden inputs, q, k, v (+ cos, sin);
   * `pieces[l]`, 0 < l < L: layer l−1's attention output + hidden inputs → layer l's hidden inputs, q, k, v;
   * `pieces[L]`: layer L−1's attention output + hidden inputs → logits.
   */
  pieces: SplitPiece[];
  /** Per layer: the cut values. */
  layers: { hidden: string[]; q: string; k: string; v: string; attentionOutput: string }[];
  rotary:
    | { source: 'graph'; cos: string; sin: string; interleaved: boolean }
    | { source: 'cache'; cos: Float32Array; sin: Float32Array; interleaved: boolean };
}

/** The value a projection's consumers read: after its bias Add when it has one. */
function projectionValue(model: OnnxModel, projection: { output: string; biasNode?: string }): string {
  if (!projection.biasNode) return projection.output;
  const node = model.graph().node?.find((candidate) => candidate.name === projection.biasNode);
  return node?.output?.[0] ?? projection.output;
}

/**
 * Cuts a Llama-family decoder (decomposed, or fused with SimplifiedLayerNormalization/GroupQueryAttention) into
 * L + 1 pieces with @x/core `extractSubgraph` at the anatomy's values: each piece runs one layer's o_proj +
 * residual + MLP and the next layer's norm + q/k/v projections, so a decode step is L + 1 session runs with RoPE
 * and attention in between (over the policy's cache). Errors: `KV_MODEL` when the graph cannot be cut.
 */
export function planSplit(model: OnnxModel): SplitPlan {
  let anatomy: DecoderAnatomy;
  try {
    anatomy = findDecoderAnatomy(model);
  } catch (error) {
    throw new KvCacheError(
      'KV_MODEL',
      `split mode: cannot read the decoder's anatomy: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const { hiddenSize, numHeads, headDim } = anatomy.config;
  const first = anatomy.layers[0];
  const interleaved = first.rotary.interleaved;
  let rotary: SplitPlan['rotary'];
  if (first.rotary.kind === 'decomposed' && first.rotary.cos && first.rotary.sin) {
    rotary = { source: 'graph', cos: first.rotary.cos, sin: first.rotary.sin, interleaved };
  } else if (
    (first.rotary.kind === 'gqa' || first.rotary.kind === 'rotary-embedding') &&
    first.rotary.cosCache
  ) {
    const read = (name: string | undefined) => {
      try {
        return model.getInitializer(name ?? '').data as Float32Array;
      } catch (error) {
        throw new KvCacheError('KV_MODEL', `split mode: rotary cache ${name} is not a float32 initializer`, {
          cause: error,
          details: { value: name },
        });
      }
    };
    rotary = {
      source: 'cache',
      cos: read(first.rotary.cosCache),
      sin: read(first.rotary.sinCache),
      interleaved,
    };
  } else {
    throw new KvCacheError(
      'KV_MODEL',
      `split mode: unsupported rotary layout '${first.rotary.kind}' in layer 0`,
      {
        details: { rotary: first.rotary.kind },
      },
    );
  }
  const layers = anatomy.layers.map((layer) => ({
    hidden: layer.inputNorm.skipInputs ? [...layer.inputNorm.skipInputs] : [layer.residual.entry],
    q: projectionValue(model, layer.q),
    k: projectionValue(model, layer.k),
    v: projectionValue(model, layer.v),
    attentionOutput: layer.attention.output,
  }));
  const hiddenType = { dtype: 'float32' as const, dims: [1, 'sequence', hiddenSize] };
  const attentionType = { dtype: 'float32' as const, dims: [1, 'sequence', numHeads * headDim] };
  const cut = (inputs: string[], outputs: string[], types: Record<string, typeof hiddenType>): SplitPiece => {
    try {
      return { model: extractSubgraph(model, { inputs, outputs, types }), inputs, outputs };
    } catch (error) {
      throw new KvCacheError('KV_MODEL', `split mode: cannot cut the decoder: ${(error as Error).message}`, {
        cause: error,
        details: { inputs, outputs },
      });
    }
  };
  const io = anatomy.io;
  const firstInputs = [io.inputIds, ...(rotary.source === 'graph' && io.positionIds ? [io.positionIds] : [])];
  const firstOutputs = [
    ...layers[0].hidden,
    layers[0].q,
    layers[0].k,
    layers[0].v,
    ...(rotary.source === 'graph' ? [rotary.cos, rotary.sin] : []),
  ];
  const pieces = [cut(firstInputs, firstOutputs, {})];
  for (let l = 1; l <= layers.length; l++) {
    const previous = layers[l - 1];
    const inputs = [previous.attentionOutput, ...previous.hidden];
    const types = Object.fromEntries([
      [previous.attentionOutput, attentionType],
      ...previous.hidden.map((name) => [name, hiddenType]),
    ]);
    const outputs =
      l < layers.length ? [...layers[l].hidden, layers[l].q, layers[l].k, layers[l].v] : [io.logits];
    pieces.push(cut(inputs, outputs, types));
  }
  return { anatomy, pieces, layers, rotary };
}
