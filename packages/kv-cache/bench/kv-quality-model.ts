/**
 * The reference model (packages/reference-lm) rebuilt through @x/core's builder so split mode can cut it: core's
 * `findDecoderAnatomy` does not yet match the torch export's attention (Softmax guarded by IsNaN/Where), so the
 * weights are read from the export's initializers (MatMul weights `[in, out]`, transposed to HF `[out, in]`) and
 * `buildDecoderModel` writes the same Llama math in its decomposed form. `checkRebuild` compares the rebuilt model's
 * logits with the original export's on onnxruntime (stock mode) before any number is taken.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  buildDecoderModel,
  type DecoderConfig,
  type DecoderLayerWeights,
  type DecoderWeights,
  OnnxModel,
  readModel,
} from '@x/core';

export const referenceDir = fileURLToPath(new URL('../../reference-lm/', import.meta.url));
export const referenceModelDir = `${referenceDir}model`;

function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

export async function rebuildReferenceModel(): Promise<{ model: OnnxModel; config: DecoderConfig }> {
  const hf = JSON.parse(await readFile(`${referenceModelDir}/config.json`, 'utf8')) as Record<string, number>;
  const config: DecoderConfig = {
    vocabSize: hf.vocab_size,
    hiddenSize: hf.hidden_size,
    numLayers: hf.num_hidden_layers,
    numHeads: hf.num_attention_heads,
    numKvHeads: hf.num_key_value_heads,
    headDim: hf.head_dim,
    intermediateSize: hf.intermediate_size,
    rmsNormEps: hf.rms_norm_eps,
    ropeTheta: hf.rope_theta,
    tieWordEmbeddings: false,
    maxPositionEmbeddings: 4096,
  };
  const source = await readModel(`${referenceModelDir}/onnx/model.onnx`);
  const nodes = source.graph().node ?? [];
  const matmul = (name: string): Float32Array => {
    const node = nodes.find((candidate) => candidate.name === name);
    const weight = node?.input?.[1];
    if (!weight) throw new Error(`reference model: no MatMul ${name}`);
    const tensor = source.getInitializer(weight);
    return transposed(tensor.data as Float32Array, tensor.dims[0], tensor.dims[1]);
  };
  const initializer = (name: string) => (source.getInitializer(name).data as Float32Array).slice();
  const layers: DecoderLayerWeights[] = Array.from({ length: config.numLayers }, (_, l) => {
    const prefix = `/model/model/layers.${l}`;
    return {
      inputNorm: initializer(`model.model.layers.${l}.input_layernorm.weight`),
      qProj: matmul(`${prefix}/self_attn/q_proj/MatMul`),
      kProj: matmul(`${prefix}/self_attn/k_proj/MatMul`),
      vProj: matmul(`${prefix}/self_attn/v_proj/MatMul`),
      oProj: matmul(`${prefix}/self_attn/o_proj/MatMul`),
      postAttentionNorm: initializer(`model.model.layers.${l}.post_attention_layernorm.weight`),
      gateProj: matmul(`${prefix}/mlp/gate_proj/MatMul`),
      upProj: matmul(`${prefix}/mlp/up_proj/MatMul`),
      downProj: matmul(`${prefix}/mlp/down_proj/MatMul`),
    };
  });
  const weights: DecoderWeights = {
    embedTokens: initializer('model.model.embed_tokens.weight'),
    layers,
    finalNorm: initializer('model.model.norm.weight'),
    lmHead: matmul('/model/lm_head/MatMul'),
  };
  return { model: new OnnxModel(buildDecoderModel(config, weights, { form: 'decomposed' })), config };
}
