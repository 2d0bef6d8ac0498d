import type { onnx } from 'onnx-proto';
import type { OnnxModel } from '../onnx/model';
import { backwardRoot, forwardAliases, usesThroughNoise } from './dataflow';
import { GraphIndex, unsupported } from './graph-index';
import { type MatchedAttention, matchAttention } from './match-attention';
import { type MatchedMlp, matchMlp } from './match-mlp';
import { findNormAt } from './match-norm';
import { describeProjection, projectionsReading } from './match-projection';
import { findResidualJoin } from './match-residual';
import type { DecoderAnatomy, EmbeddingAnatomy, LayerAnatomy, LmHeadAnatomy, NormAnatomy } from './types';

/**
 * Finds the parts of a Llama-family decoder (Touvron et al. 2023, arXiv 2302.13971) in an ONNX graph from its
 * dataflow, not its names: the embedding Gather fed by `input_ids`, then along the residual stream each block's
 * RMSNorm → q/k/v → attention → o_proj → residual add → RMSNorm → gate/up → SiLU·up → down → residual add, then
 * the final norm and the LM head. Works on the decomposed (torch.onnx / Optimum) and fused (ORT contrib ops)
 * spellings, through Cast/Reshape/Identity noise around projections and Transpose/Cast on weights.
 *
 * Errors: `X_UNSUPPORTED_ARCHITECTURE` naming the node where the structure departs from the supported forms
 * (a layer without an MLP, an unknown attention op, a mean-centred LayerNorm, packed QKV, ...). It never
 * returns a partial result. Accepts a decoded `ModelProto` or an `OnnxModel`; reads no initializer data beyond
 * small constants (epsilons, reshape shapes), so external-data models need not be loaded.
 */
export function findDecoderAnatomy(model: onnx.IModelProto | OnnxModel): DecoderAnatomy {
  // OnnxModel is recognised by its Symbol.for marker, so this module does not load the file-backed class.
  const proto =
    (model as unknown as Record<symbol, unknown>)[Symbol.for('x.onnx-model')] === true
      ? (model as OnnxModel).proto
      : (model as onnx.IModelProto);
  if (!proto.graph) throw unsupported('the model has no graph', {});
  const index = new GraphIndex(proto.graph);
  const { embedding, inputIds } = findEmbedding(index);
  let stream: string | undefined = embedding.output;
  let site = findNormAt(index, embedding.output);
  if (!site) {
    throw unsupported(`no RMSNorm reads the embedding output ${embedding.output} (node ${embedding.node})`, {
      node: embedding.node,
    });
  }
  const layers: LayerAnatomy[] = [];
  let lmHead: LmHeadAnatomy | undefined;
  let finalNorm: NormAnatomy | undefined;
  while (!lmHead) {
    const layer = layers.length;
    if (layer > index.nodes.length) throw unsupported('the residual stream loops', { node: site.nodes[0] });
    const inputNorm: NormAnatomy = site;
    const branch = classifyBranch(index, inputNorm, layer);
    if (branch.kind === 'head') {
      finalNorm = inputNorm;
      lmHead = describeLmHead(index, branch.nodes[0], embedding);
      break;
    }
    if (branch.kind === 'mlp') {
      throw unsupported(
        `layer ${layer} has no attention: norm ${inputNorm.nodes[0]} feeds an MLP (${names(index, branch.nodes)})`,
        {
          layer,
          node: inputNorm.nodes[0],
        },
      );
    }
    const attention: MatchedAttention = matchAttention(index, branch.nodes, layer);
    const entry = stream ?? inputNorm.input;
    const attentionJoin = findResidualJoin(index, entry, attention.o.flowOutput, attention.o.anatomy.node);
    const postAttentionNorm = attentionJoin.nextNorm;
    if (!postAttentionNorm) {
      throw unsupported(
        `layer ${layer}: no RMSNorm after the attention residual add ${index.nameOf(attentionJoin.node)}`,
        {
          layer,
          node: index.nameOf(attentionJoin.node),
        },
      );
    }
    const mlpBranch = classifyBranch(index, postAttentionNorm, layer);
    if (mlpBranch.kind !== 'mlp') {
      throw unsupported(
        `layer ${layer} has no MLP: after its attention residual add (node ${index.nameOf(attentionJoin.node)}) norm ${
          postAttentionNorm.nodes[0]
        } feeds ${mlpBranch.kind === 'head' ? 'the LM head' : 'attention'} (${names(index, mlpBranch.nodes)})`,
        { layer, node: index.nameOf(attentionJoin.node) },
      );
    }
    const mlp: MatchedMlp = matchMlp(index, mlpBranch.nodes, layer);
    const mlpJoin = findResidualJoin(index, attentionJoin.sum, mlp.down.flowOutput, mlp.down.anatomy.node);
    layers.push({
      index: layer,
      inputNorm,
      q: attention.q.anatomy,
      k: attention.k.anatomy,
      v: attention.v.anatomy,
      o: attention.o.anatomy,
      attention: attention.attention,
      rotary: attention.rotary,
      postAttentionNorm,
      gate: mlp.gate.anatomy,
      up: mlp.up.anatomy,
      down: mlp.down.anatomy,
      activation: mlp.activation,
      residual: {
        entry,
        afterAttention: attentionJoin.sum,
        exit: mlpJoin.sum,
        exitAddends: mlpJoin.addends,
        nodes: [index.nameOf(attentionJoin.node), index.nameOf(mlpJoin.node)],
      },
      ...(attention.past ? { past: attention.past } : {}),
      ...(attention.present ? { present: attention.present } : {}),
    });
    if (!mlpJoin.nextNorm) {
      throw unsupported(
        `layer ${layer}: no RMSNorm after the MLP residual add ${index.nameOf(mlpJoin.node)}`,
        {
          layer,
          node: index.nameOf(mlpJoin.node),
        },
      );
    }
    stream = mlpJoin.sum;
    site = mlpJoin.nextNorm;
  }
  if (layers.length === 0)
    throw unsupported('the graph has no decoder layer before the LM head', { node: lmHead.node });

  const logits = forwardAliases(index, lmHead.output).find((value) => index.graphOutputs.has(value));
  if (!logits)
    throw unsupported(`the LM head ${lmHead.node} does not reach a graph output`, { node: lmHead.node });
  const first = layers[0];
  return {
    embedding,
    layers,
    finalNorm: finalNorm as NormAnatomy,
    lmHead,
    io: {
      inputIds,
      ...(index.graphInputs.has('attention_mask') ? { attentionMask: 'attention_mask' } : {}),
      ...(index.graphInputs.has('position_ids') ? { positionIds: 'position_ids' } : {}),
      logits,
      past: layers.map((layer) => layer.past),
      present: layers.map((layer) => layer.present),
    },
    config: {
      vocabSize: embedding.vocabSize,
      hiddenSize: embedding.hiddenSize,
      numLayers: layers.length,
      numHeads: first.attention.numHeads,
      numKvHeads: first.attention.numKvHeads,
      headDim: first.attention.headDim,
      intermediateSize: first.gate.outFeatures,
    },
  };
}

function names(index: GraphIndex, nodes: onnx.INodeProto[]): string {
  return nodes.map((node) => index.nameOf(node)).join(', ');
}

type Branch = { kind: 'attention' | 'mlp' | 'head'; nodes: onnx.INodeProto[] };

/** What a norm feeds: three projections (attention), two (MLP), or one that reaches a graph output (LM head). */
function classifyBranch(index: GraphIndex, norm: NormAnatomy, layer: number): Branch {
  const nodes = projectionsReading(index, norm.output);
  if (nodes.length === 3) return { kind: 'attention', nodes };
  if (nodes.length === 2) return { kind: 'mlp', nodes };
  if (nodes.length === 1) {
    const output = describeProjection(index, nodes[0]).flowOutput;
    if (forwardAliases(index, output).some((value) => index.graphOutputs.has(value)))
      return { kind: 'head', nodes };
    throw unsupported(
      `layer ${layer}: norm ${norm.nodes[0]} feeds a single projection ${index.nameOf(nodes[0])} that is not the LM head (packed QKV or gate_up projections are not supported)`,
      { layer, node: index.nameOf(nodes[0]) },
    );
  }
  const consumer = usesThroughNoise(index, norm.output)[0]?.node;
  throw unsupported(
    `layer ${layer}: norm ${norm.nodes[0]} feeds ${nodes.length} projections${
      consumer ? ` (first consumer: ${consumer.opType} node ${index.nameOf(consumer)})` : ''
    }; expected 3 (q/k/v), 2 (gate/up) or the LM head`,
    { layer, node: consumer ? index.nameOf(consumer) : norm.nodes[0] },
  );
}

/** The Gather that reads a 2-D initializer with `input_ids` (or the only int rank-2 graph input) as indices. */
function findEmbedding(index: GraphIndex): { embedding: EmbeddingAnatomy; inputIds: string } {
  const candidates = index.graphInputs.has('input_ids')
    ? ['input_ids']
    : [...index.graphInputs.keys()].filter((name) => {
        const type = index.graphInputs.get(name)?.type?.tensorType;
        return (type?.elemType === 7 || type?.elemType === 6) && type.shape?.dim?.length === 2;
      });
  for (const input of candidates) {
    for (const use of usesThroughNoise(index, input)) {
      if (use.node.opType !== 'Gather' || use.slot !== 1) continue;
      const weight = backwardRoot(index, use.node.input?.[0] ?? '').value;
      const dims = index.dimsOf(weight);
      if (!index.isInitializer(weight) || dims?.length !== 2) continue;
      const embedding = {
        node: index.nameOf(use.node),
        weight,
        vocabSize: dims[0],
        hiddenSize: dims[1],
        output: use.node.output?.[0] ?? '',
      };
      return { embedding, inputIds: input };
    }
  }
  const consumer = candidates.flatMap((input) => usesThroughNoise(index, input))[0]?.node;
  throw unsupported(
    `no embedding Gather reads input_ids${consumer ? ` (it feeds ${consumer.opType} node ${index.nameOf(consumer)})` : ''}`,
    { node: consumer ? index.nameOf(consumer) : 'input_ids' },
  );
}

function describeLmHead(
  index: GraphIndex,
  node: onnx.INodeProto,
  embedding: EmbeddingAnatomy,
): LmHeadAnatomy {
  const projection = describeProjection(index, node).anatomy;
  return { ...projection, tied: projection.weight === embedding.weight };
}
