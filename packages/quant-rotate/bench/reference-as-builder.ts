/**
 * Bench-only adapter: the reference LM's trained weights, read from its torch.onnx export by node name
 * (`/model/model/layers.{i}/self_attn/q_proj/MatMul`, ...), rebuilt with core's `buildDecoderModel`
 * (decomposed form). Used while `findDecoderAnatomy` does not yet read that export directly (its attention
 * has an SDPA NaN guard and dynamically shaped repeat_kv). `checkAgainstExport` verifies the rebuilt model
 * reproduces the export's logits, so the numbers measured on it are the reference model's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildDecoderModel,
  type DecoderConfig,
  type DecoderLayerWeights,
  type DecoderWeights,
  OnnxModel,
  readModel,
} from '@x/core';

function initializerOf(model: OnnxModel, nodeName: string): { data: Float32Array; dims: number[] } {
  const node = (model.graph().node ?? []).find((n) => n.name === nodeName);
  const name = (node?.input ?? []).find((v) => model.findInitializer(v));
  if (!name) throw new Error(`reference export: no initializer on ${nodeName}`);
  const tensor = model.getInitializer(name);
  return { data: Float32Array.from(tensor.data as Float32Array), dims: [...tensor.dims] };
}

/** [in, out] MatMul initializer of a node, as the builder's [out, in]. */
function linear(model: OnnxModel, nodeName: string): Float32Array {
  const { data, dims } = initializerOf(model, nodeName);
  const [rows, cols] = dims;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

export async function loadReferenceAsBuilderModel(
  modelDir: string,
): Promise<{ model: OnnxModel; config: DecoderConfig }> {
  const hf = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
  const config: DecoderConfig = {
    vocabSize: hf.vocab_size,
    hiddenSize: hf.hidden_size,
    numLayers: hf.num_hidden_layers,
    numHeads: hf.num_attention_heads,
    numKvHeads: hf.num_key_value_heads,
    headDim: hf.head_dim ?? hf.hidden_size / hf.num_attention_heads,
    intermediateSize: hf.intermediate_size,
    rmsNormEps: hf.rms_norm_eps,
    ropeTheta: hf.rope_theta,
    tieWordEmbeddings: hf.tie_word_embeddings,
    maxPositionEmbeddings: hf.max_position_embeddings,
  };
  const source = await readModel(join(modelDir, 'onnx', 'model.onnx'));
  const layers: DecoderLayerWeights[] = Array.from({ length: config.numLayers }, (_, i) => {
    const p = `/model/model/layers.${i}`;
    return {
      inputNorm: initializerOf(source, `${p}/input_layernorm/Mul_1`).data,
      qProj: linear(source, `${p}/self_attn/q_proj/MatMul`),
      kProj: linear(source, `${p}/self_attn/k_proj/MatMul`),
      vProj: linear(source, `${p}/self_attn/v_proj/MatMul`),
      oProj: linear(source, `${p}/self_attn/o_proj/MatMul`),
      postAttentionNorm: initializerOf(source, `${p}/post_attention_layernorm/Mul_1`).data,
      gateProj: linear(source, `${p}/mlp/gate_proj/MatMul`),
      upProj: linear(source, `${p}/mlp/up_proj/MatMul`),
      downProj: linear(source, `${p}/mlp/down_proj/MatMul`),
    };
  });
  const weights: DecoderWeights = {
    embedTokens: initializerOf(source, '/model/model/embed_tokens/Gather').data,
    layers,
    finalNorm: initializerOf(source, '/model/model/norm/Mul_1').data,
    ...(config.tieWordEmbeddings ? {} : { lmHead: linear(source, '/model/lm_head/MatMul') }),
  };
  source.close();
  return { model: new OnnxModel(buildDecoderModel(config, weights)), config };
}
