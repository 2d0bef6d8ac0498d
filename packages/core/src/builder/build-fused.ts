import type { DecoderConfig } from './decoder-config';
import { DEFAULT_MAX_POSITION_EMBEDDINGS } from './decoder-config';
import type { DecoderWeights } from './decoder-weights';
import { ElementType, floatTensor, type GraphBuilder, transpose2d } from './graph-builder';
import { OptimumNames } from './optimum-io';
import { computeRotaryCaches } from './rotary';

const MS = 'com.microsoft';

/** Where the fused form applies RoPE: inside `GroupQueryAttention` (`do_rotary=1`) or in `RotaryEmbedding` nodes. */
export type FusedRotary = 'gqa' | 'rotary-embedding';

/**
 * Emits the fused Llama graph the way ORT's transformer optimizer / onnxruntime-genai's model builder lay it out
 * for CPU fp32: `SimplifiedLayerNormalization` for the first norm, `SkipSimplifiedLayerNormalization` (residual add
 * + RMSNorm, output 3 = the residual sum) for every later one, MatMul with `[in, out]` weights under HF names,
 * `GroupQueryAttention` with `do_rotary=1` and `[maxPositions, headDim/2]` cos/sin caches, `seqlens_k =
 * sum(attention_mask) - 1` and `total_sequence_length = attention_mask.shape[1]` (both int32), SwiGLU as
 * Sigmoid/Mul. The tied LM head reads the embedding through `Gemm(transB=1)` between Reshapes.
 */
export function emitFusedDecoder(
  graph: GraphBuilder,
  config: DecoderConfig,
  weights: DecoderWeights,
  rotary: FusedRotary,
): void {
  const { hiddenSize, numHeads, numKvHeads, headDim, intermediateSize, vocabSize } = config;
  const maxPositions = config.maxPositionEmbeddings ?? DEFAULT_MAX_POSITION_EMBEDDINGS;
  const linear = (
    input: string,
    data: Float32Array,
    out: number,
    inFeatures: number,
    hfName: string,
    node: string,
  ): string => {
    const weight = graph.initializer(
      floatTensor(`${hfName}.weight`, [inFeatures, out], transpose2d(data, out, inFeatures)),
    );
    return graph.op('MatMul', [input, weight], { name: node });
  };
  const normWeight = (name: string, data: Float32Array): string =>
    graph.initializer(floatTensor(name, [hiddenSize], data));
  const epsilon = { float: config.rmsNormEps };

  const embedName = graph.initializer(
    floatTensor('model.embed_tokens.weight', [vocabSize, hiddenSize], weights.embedTokens),
  );
  const embeddings = graph.op('Gather', [embedName, OptimumNames.inputIds], {
    name: '/model/embed_tokens/Gather',
  });

  const caches = computeRotaryCaches(config, maxPositions);
  const cosCache = graph.initializer(floatTensor('cos_cache', [maxPositions, headDim / 2], caches.cos));
  const sinCache = graph.initializer(floatTensor('sin_cache', [maxPositions, headDim / 2], caches.sin));

  // seqlens_k and total_sequence_length, as onnxruntime-genai's builder derives them from attention_mask.
  const maskScope = '/model/attn_mask_reformat';
  const maskSum = graph.op('ReduceSum', [OptimumNames.attentionMask, graph.int64Constant([1])], {
    name: `${maskScope}/ReduceSum`,
    attributes: { keepdims: { int: 0 } },
  });
  const lastIndex = graph.op('Sub', [maskSum, graph.int64Constant([1], [])], { name: `${maskScope}/Sub` });
  const seqlensK = graph.op('Cast', [lastIndex], {
    name: `${maskScope}/Cast`,
    attributes: { to: { int: ElementType.int32 } },
  });
  const totalLength = graph.op(
    'Gather',
    [
      graph.op('Shape', [OptimumNames.attentionMask], { name: `${maskScope}/Shape` }),
      graph.int64Constant([1], []),
    ],
    { name: `${maskScope}/Gather` },
  );
  const totalLength32 = graph.op('Cast', [totalLength], {
    name: `${maskScope}/Cast_1`,
    attributes: { to: { int: ElementType.int32 } },
  });

  // Residual stream: `residual` holds the running sum, `pending` the branch output still to be added to it.
  let residual = embeddings;
  let pending: string | undefined;
  const norm = (weightName: string, data: Float32Array, scope: string): string => {
    const w = normWeight(weightName, data);
    if (pending === undefined) {
      return graph.op('SimplifiedLayerNormalization', [residual, w], {
        name: `${scope}/SimplifiedLayerNorm`,
        attributes: { epsilon, axis: { int: -1 }, stash_type: { int: 1 } },
      });
    }
    const node = `${scope}/SkipSimplifiedLayerNorm`;
    const [output, , , sum] = graph.node(
      'SkipSimplifiedLayerNormalization',
      [residual, pending, w],
      [`${node}/output_0`, '', '', `${node}/output_3`],
      { name: node, domain: MS, attributes: { epsilon } },
    );
    residual = sum;
    pending = undefined;
    return output;
  };

  for (let layer = 0; layer < config.numLayers; layer++) {
    const lw = weights.layers[layer];
    const scope = `/model/layers.${layer}`;
    const hf = `model.layers.${layer}`;
    const normed = norm(`${hf}.input_layernorm.weight`, lw.inputNorm, `${scope}/input_layernorm`);
    const q = linear(
      normed,
      lw.qProj,
      numHeads * headDim,
      hiddenSize,
      `${hf}.self_attn.q_proj`,
      `${scope}/attn/q_proj/MatMul`,
    );
    const k = linear(
      normed,
      lw.kProj,
      numKvHeads * headDim,
      hiddenSize,
      `${hf}.self_attn.k_proj`,
      `${scope}/attn/k_proj/MatMul`,
    );
    const v = linear(
      normed,
      lw.vProj,
      numKvHeads * headDim,
      hiddenSize,
      `${hf}.self_attn.v_proj`,
      `${scope}/attn/v_proj/MatMul`,
    );
    // GQA's own rotary needs headDim % 16 = 0 on CPU/WASM; otherwise rotate q and k with RotaryEmbedding first.
    const separate = rotary === 'rotary-embedding';
    const rotate = (value: string, heads: number, tag: string): string =>
      graph.op('RotaryEmbedding', [value, OptimumNames.positionIds, cosCache, sinCache], {
        name: `${scope}/attn/${tag}_rotary/RotaryEmbedding`,
        domain: MS,
        attributes: { interleaved: { int: 0 }, num_heads: { int: heads } },
      });
    const attentionInputs = separate
      ? [
          rotate(q, numHeads, 'q'),
          rotate(k, numKvHeads, 'k'),
          v,
          OptimumNames.pastKey(layer),
          OptimumNames.pastValue(layer),
          seqlensK,
          totalLength32,
        ]
      : [
          q,
          k,
          v,
          OptimumNames.pastKey(layer),
          OptimumNames.pastValue(layer),
          seqlensK,
          totalLength32,
          cosCache,
          sinCache,
          OptimumNames.positionIds,
        ];
    const [attention] = graph.node(
      'GroupQueryAttention',
      attentionInputs,
      [
        `${scope}/attn/GroupQueryAttention/output_0`,
        OptimumNames.presentKey(layer),
        OptimumNames.presentValue(layer),
      ],
      {
        name: `${scope}/attn/GroupQueryAttention`,
        domain: MS,
        attributes: {
          num_heads: { int: numHeads },
          kv_num_heads: { int: numKvHeads },
          do_rotary: { int: separate ? 0 : 1 },
          rotary_interleaved: { int: 0 },
          scale: { float: 1 / Math.sqrt(headDim) },
        },
      },
    );
    pending = linear(
      attention,
      lw.oProj,
      hiddenSize,
      numHeads * headDim,
      `${hf}.self_attn.o_proj`,
      `${scope}/attn/o_proj/MatMul`,
    );

    const normed2 = norm(
      `${hf}.post_attention_layernorm.weight`,
      lw.postAttentionNorm,
      `${scope}/post_attention_layernorm`,
    );
    const gate = linear(
      normed2,
      lw.gateProj,
      intermediateSize,
      hiddenSize,
      `${hf}.mlp.gate_proj`,
      `${scope}/mlp/gate_proj/MatMul`,
    );
    const sigmoid = graph.op('Sigmoid', [gate], { name: `${scope}/mlp/act_fn/Sigmoid` });
    const silu = graph.op('Mul', [gate, sigmoid], { name: `${scope}/mlp/act_fn/Mul` });
    const up = linear(
      normed2,
      lw.upProj,
      intermediateSize,
      hiddenSize,
      `${hf}.mlp.up_proj`,
      `${scope}/mlp/up_proj/MatMul`,
    );
    const product = graph.op('Mul', [silu, up], { name: `${scope}/mlp/Mul` });
    pending = linear(
      product,
      lw.downProj,
      hiddenSize,
      intermediateSize,
      `${hf}.mlp.down_proj`,
      `${scope}/mlp/down_proj/MatMul`,
    );
  }

  const final = norm('model.norm.weight', weights.finalNorm, '/model/norm');
  if (weights.lmHead) {
    linearTo(graph, final, weights.lmHead, vocabSize, hiddenSize);
  } else {
    // Tied head: Gemm(transB=1) on the [vocab, hidden] embedding itself; Gemm wants 2-D A, hence the Reshapes.
    const flat = graph.op('Reshape', [final, graph.int64Constant([-1, hiddenSize])], {
      name: '/lm_head/Reshape',
    });
    const product = graph.op('Gemm', [flat, embedName], {
      name: '/lm_head/Gemm',
      attributes: { transB: { int: 1 } },
    });
    const leading = graph.op('Shape', [final], {
      name: '/lm_head/Shape',
      attributes: { start: { int: 0 }, end: { int: 2 } },
    });
    const shape = graph.op('Concat', [leading, graph.int64Constant([vocabSize])], {
      name: '/lm_head/Concat',
      attributes: { axis: { int: 0 } },
    });
    graph.node('Reshape', [product, shape], [OptimumNames.logits], { name: '/lm_head/Reshape_1' });
  }
}

function linearTo(
  graph: GraphBuilder,
  input: string,
  data: Float32Array,
  out: number,
  inFeatures: number,
): void {
  const weight = graph.initializer(
    floatTensor('lm_head.weight', [inFeatures, out], transpose2d(data, out, inFeatures)),
  );
  graph.node('MatMul', [input, weight], [OptimumNames.logits], { name: '/lm_head/MatMul' });
}
