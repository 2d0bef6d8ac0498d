import type { DecoderConfig } from './decoder-config';
import type { DecoderWeights } from './decoder-weights';
import { ElementType, floatTensor, type GraphBuilder, transpose2d } from './graph-builder';
import { OptimumNames } from './optimum-io';
import { computeInverseFrequencies } from './rotary';

/** Float32 lowest, the additive mask value HF uses (`torch.finfo(float32).min`). */
export const MASK_MIN = -3.4028234663852886e38;

/**
 * Emits the decomposed Llama graph the way torch.onnx (TorchScript exporter, opset 17) / Optimum lay it out for
 * HF `LlamaForCausalLM` with eager attention: RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul/Mul, MatMul weights
 * stored transposed `[in, out]` under anonymous `onnx::MatMul_N` names, RoPE cos/sin computed from
 * `position_ids` (rotate_half, non-interleaved), past concat, GQA by Unsqueeze/Expand/Reshape (HF `repeat_kv`),
 * causal + padding additive mask, Softmax, SwiGLU (`x·sigmoid(x)·up`), residual Adds. Scalars are Constant nodes.
 */
export function emitDecomposedDecoder(
  graph: GraphBuilder,
  config: DecoderConfig,
  weights: DecoderWeights,
): void {
  const { hiddenSize, numHeads, numKvHeads, headDim, intermediateSize, vocabSize } = config;
  let anonymous = 1000;
  const matmulWeight = (data: Float32Array, out: number, inFeatures: number): string =>
    graph.initializer(
      floatTensor(`onnx::MatMul_${anonymous++}`, [inFeatures, out], transpose2d(data, out, inFeatures)),
    );
  const linear = (
    input: string,
    data: Float32Array,
    out: number,
    inFeatures: number,
    scope: string,
  ): string => graph.op('MatMul', [input, matmulWeight(data, out, inFeatures)], { name: `${scope}/MatMul` });

  const embedName = graph.initializer(
    floatTensor('model.embed_tokens.weight', [vocabSize, hiddenSize], weights.embedTokens),
  );
  let hidden = graph.op('Gather', [embedName, OptimumNames.inputIds], { name: '/model/embed_tokens/Gather' });

  const { cos, sin } = emitRotaryTables(graph, config);
  const mask = emitAttentionMask(graph);

  const rmsNorm = (input: string, weight: Float32Array, weightName: string, scope: string): string => {
    const w = graph.initializer(floatTensor(weightName, [hiddenSize], weight));
    const squared = graph.op('Pow', [input, graph.floatScalar(2, `${scope}/Constant`)], {
      name: `${scope}/Pow`,
    });
    const mean = graph.op('ReduceMean', [squared], {
      name: `${scope}/ReduceMean`,
      attributes: { axes: { ints: [-1] }, keepdims: { int: 1 } },
    });
    const shifted = graph.op('Add', [mean, graph.floatScalar(config.rmsNormEps, `${scope}/Constant_1`)], {
      name: `${scope}/Add`,
    });
    const root = graph.op('Sqrt', [shifted], { name: `${scope}/Sqrt` });
    const inverse = graph.op('Div', [graph.floatScalar(1, `${scope}/Constant_2`), root], {
      name: `${scope}/Div`,
    });
    const normalized = graph.op('Mul', [input, inverse], { name: `${scope}/Mul` });
    return graph.op('Mul', [w, normalized], { name: `${scope}/Mul_1` });
  };

  for (let layer = 0; layer < config.numLayers; layer++) {
    const lw = weights.layers[layer];
    const scope = `/model/layers.${layer}`;
    const attnScope = `${scope}/self_attn`;
    const normed = rmsNorm(
      hidden,
      lw.inputNorm,
      `model.layers.${layer}.input_layernorm.weight`,
      `${scope}/input_layernorm`,
    );
    const q = linear(normed, lw.qProj, numHeads * headDim, hiddenSize, `${attnScope}/q_proj`);
    const k = linear(normed, lw.kProj, numKvHeads * headDim, hiddenSize, `${attnScope}/k_proj`);
    const v = linear(normed, lw.vProj, numKvHeads * headDim, hiddenSize, `${attnScope}/v_proj`);
    const heads = (value: string, count: number, tag: string): string => {
      const shaped = graph.op('Reshape', [value, graph.int64Constant([0, 0, count, headDim])], {
        name: `${attnScope}/Reshape${tag}`,
      });
      return graph.op('Transpose', [shaped], {
        name: `${attnScope}/Transpose${tag}`,
        attributes: { perm: { ints: [0, 2, 1, 3] } },
      });
    };
    const qHeads = emitRope(graph, heads(q, numHeads, ''), cos, sin, headDim, `${attnScope}/q_rope`);
    const kHeads = emitRope(graph, heads(k, numKvHeads, '_1'), cos, sin, headDim, `${attnScope}/k_rope`);
    const vHeads = heads(v, numKvHeads, '_2');
    const keyAll = graph.node(
      'Concat',
      [OptimumNames.pastKey(layer), kHeads],
      [OptimumNames.presentKey(layer)],
      {
        name: `${attnScope}/Concat_k`,
        attributes: { axis: { int: 2 } },
      },
    )[0];
    const valueAll = graph.node(
      'Concat',
      [OptimumNames.pastValue(layer), vHeads],
      [OptimumNames.presentValue(layer)],
      {
        name: `${attnScope}/Concat_v`,
        attributes: { axis: { int: 2 } },
      },
    )[0];
    const keyRepeated = repeatKv(graph, keyAll, config, `${attnScope}/repeat_k`);
    const valueRepeated = repeatKv(graph, valueAll, config, `${attnScope}/repeat_v`);
    const keyT = graph.op('Transpose', [keyRepeated], {
      name: `${attnScope}/Transpose_3`,
      attributes: { perm: { ints: [0, 1, 3, 2] } },
    });
    const scores = graph.op('MatMul', [qHeads, keyT], { name: `${attnScope}/MatMul` });
    const scaled = graph.op('Mul', [scores, graph.floatScalar(1 / Math.sqrt(headDim))], {
      name: `${attnScope}/Mul`,
    });
    const masked = graph.op('Add', [scaled, mask], { name: `${attnScope}/Add` });
    const probabilities = graph.op('Softmax', [masked], {
      name: `${attnScope}/Softmax`,
      attributes: { axis: { int: -1 } },
    });
    const context = graph.op('MatMul', [probabilities, valueRepeated], { name: `${attnScope}/MatMul_1` });
    const contextT = graph.op('Transpose', [context], {
      name: `${attnScope}/Transpose_4`,
      attributes: { perm: { ints: [0, 2, 1, 3] } },
    });
    const merged = graph.op('Reshape', [contextT, graph.int64Constant([0, 0, numHeads * headDim])], {
      name: `${attnScope}/Reshape_3`,
    });
    const attention = linear(merged, lw.oProj, hiddenSize, numHeads * headDim, `${attnScope}/o_proj`);
    hidden = graph.op('Add', [hidden, attention], { name: `${scope}/Add` });

    const mlpScope = `${scope}/mlp`;
    const normed2 = rmsNorm(
      hidden,
      lw.postAttentionNorm,
      `model.layers.${layer}.post_attention_layernorm.weight`,
      `${scope}/post_attention_layernorm`,
    );
    const gate = linear(normed2, lw.gateProj, intermediateSize, hiddenSize, `${mlpScope}/gate_proj`);
    const sigmoid = graph.op('Sigmoid', [gate], { name: `${mlpScope}/act_fn/Sigmoid` });
    const silu = graph.op('Mul', [gate, sigmoid], { name: `${mlpScope}/act_fn/Mul` });
    const up = linear(normed2, lw.upProj, intermediateSize, hiddenSize, `${mlpScope}/up_proj`);
    const product = graph.op('Mul', [silu, up], { name: `${mlpScope}/Mul` });
    const down = linear(product, lw.downProj, hiddenSize, intermediateSize, `${mlpScope}/down_proj`);
    hidden = graph.op('Add', [hidden, down], { name: `${scope}/Add_1` });
  }

  const final = rmsNorm(hidden, weights.finalNorm, 'model.norm.weight', '/model/norm');
  if (weights.lmHead) {
    graph.node(
      'MatMul',
      [final, matmulWeight(weights.lmHead, vocabSize, hiddenSize)],
      [OptimumNames.logits],
      {
        name: '/lm_head/MatMul',
      },
    );
  } else {
    // Tied head: the embedding matrix, read through a Transpose, so the bytes are stored once.
    const embedT = graph.op('Transpose', [embedName], {
      name: '/lm_head/Transpose',
      attributes: { perm: { ints: [1, 0] } },
    });
    graph.node('MatMul', [final, embedT], [OptimumNames.logits], { name: '/lm_head/MatMul' });
  }
}

/** cos/sin `[batch, 1, seq, headDim]` from `position_ids`, computed once and shared by all layers (HF LlamaRotaryEmbedding). */
function emitRotaryTables(graph: GraphBuilder, config: DecoderConfig): { cos: string; sin: string } {
  const scope = '/model/rotary_emb';
  const inverse = Float32Array.from(computeInverseFrequencies(config));
  const inverseName = graph.constant(floatTensor('', [inverse.length], inverse), `${scope}/Constant`);
  const positions = graph.op('Cast', [OptimumNames.positionIds], {
    name: `${scope}/Cast`,
    attributes: { to: { int: ElementType.float } },
  });
  const column = graph.op('Unsqueeze', [positions, graph.int64Constant([2])], { name: `${scope}/Unsqueeze` });
  const freqs = graph.op('Mul', [column, inverseName], { name: `${scope}/Mul` });
  const emb = graph.op('Concat', [freqs, freqs], {
    name: `${scope}/Concat`,
    attributes: { axis: { int: -1 } },
  });
  const cos = graph.op('Cos', [emb], { name: `${scope}/Cos` });
  const sin = graph.op('Sin', [emb], { name: `${scope}/Sin` });
  return {
    cos: graph.op('Unsqueeze', [cos, graph.int64Constant([1])], { name: `${scope}/Unsqueeze_1` }),
    sin: graph.op('Unsqueeze', [sin, graph.int64Constant([1])], { name: `${scope}/Unsqueeze_2` }),
  };
}

/**
 * Additive mask `[batch, 1, seq, total]`: 0 where key j ≤ query position (past + i) and attention_mask[b, j] = 1,
 * float32 lowest elsewhere (HF `_prepare_4d_causal_attention_mask`).
 */
function emitAttentionMask(graph: GraphBuilder): string {
  const scope = '/model/mask';
  const one = graph.int64Constant([1], [], `${scope}/Constant`);
  const total = graph.op(
    'Gather',
    [graph.op('Shape', [OptimumNames.attentionMask], { name: `${scope}/Shape` }), one],
    {
      name: `${scope}/Gather`,
    },
  );
  const sequence = graph.op(
    'Gather',
    [graph.op('Shape', [OptimumNames.inputIds], { name: `${scope}/Shape_1` }), one],
    {
      name: `${scope}/Gather_1`,
    },
  );
  const past = graph.op('Sub', [total, sequence], { name: `${scope}/Sub` });
  const queryPositions = graph.op('Range', [past, total, one], { name: `${scope}/Range` });
  const keyPositions = graph.op('Range', [graph.int64Constant([0], []), total, one], {
    name: `${scope}/Range_1`,
  });
  const causal = graph.op(
    'LessOrEqual',
    [
      graph.op('Unsqueeze', [keyPositions, graph.int64Constant([0])], { name: `${scope}/Unsqueeze` }),
      graph.op('Unsqueeze', [queryPositions, graph.int64Constant([1])], { name: `${scope}/Unsqueeze_1` }),
    ],
    { name: `${scope}/LessOrEqual` },
  );
  const padding = graph.op('Cast', [OptimumNames.attentionMask], {
    name: `${scope}/Cast`,
    attributes: { to: { int: ElementType.bool } },
  });
  const paddingRows = graph.op('Unsqueeze', [padding, graph.int64Constant([1, 2])], {
    name: `${scope}/Unsqueeze_2`,
  });
  const allowed = graph.op('And', [causal, paddingRows], { name: `${scope}/And` });
  return graph.op('Where', [allowed, graph.floatScalar(0), graph.floatScalar(MASK_MIN)], {
    name: `${scope}/Where`,
  });
}

/** `x·cos + rotate_half(x)·sin` on `[batch, heads, seq, headDim]`, rotate_half = concat(-x2, x1) (HF, non-interleaved). */
function emitRope(
  graph: GraphBuilder,
  x: string,
  cos: string,
  sin: string,
  headDim: number,
  scope: string,
): string {
  const half = headDim / 2;
  const slice = (start: number, end: number, tag: string): string =>
    graph.op(
      'Slice',
      [x, graph.int64Constant([start]), graph.int64Constant([end]), graph.int64Constant([3])],
      {
        name: `${scope}/Slice${tag}`,
      },
    );
  const x1 = slice(0, half, '');
  const x2 = slice(half, headDim, '_1');
  const rotated = graph.op('Concat', [graph.op('Neg', [x2], { name: `${scope}/Neg` }), x1], {
    name: `${scope}/Concat`,
    attributes: { axis: { int: -1 } },
  });
  return graph.op(
    'Add',
    [
      graph.op('Mul', [x, cos], { name: `${scope}/Mul` }),
      graph.op('Mul', [rotated, sin], { name: `${scope}/Mul_1` }),
    ],
    { name: `${scope}/Add` },
  );
}

/** HF `repeat_kv`: `[b, kvH, T, D]` → `[b, kvH·n, T, D]`; no ops when n = 1. */
function repeatKv(graph: GraphBuilder, value: string, config: DecoderConfig, scope: string): string {
  const groups = config.numHeads / config.numKvHeads;
  if (groups === 1) return value;
  const expanded = graph.op(
    'Expand',
    [
      graph.op('Unsqueeze', [value, graph.int64Constant([2])], { name: `${scope}/Unsqueeze` }),
      graph.int64Constant([1, 1, groups, 1, 1]),
    ],
    { name: `${scope}/Expand` },
  );
  return graph.op('Reshape', [expanded, graph.int64Constant([0, config.numHeads, -1, config.headDim])], {
    name: `${scope}/Reshape`,
  });
}
