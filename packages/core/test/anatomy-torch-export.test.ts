import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  createTensor,
  type DecoderConfig,
  type DecoderLayerWeights,
  type DecoderWeights,
  findDecoderAnatomy,
  loadBackend,
  type OnnxModel,
  type ProjectionAnatomy,
  readModel,
  referenceForward,
  type Tensor,
  writeModel,
} from '../src/index';

// A real torch.onnx export (TorchScript exporter, opset 17) of a tiny HF-style Llama, made by
// src/anatomy/__fixtures__/make-torch-llama.py with torch's golden logits. The anatomy must find every part
// from structure alone; then the weights it names, laid out as it says, must make referenceForward reproduce
// torch's logits. A mislabelled projection, a wrong layout or a wrong epsilon would break that.
const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../src/anatomy/__fixtures__');
const golden = JSON.parse(readFileSync(resolve(fixtures, 'torch-llama-tiny.golden.json'), 'utf8')) as {
  config: { theta: number };
  prompt: number[][];
  logits: number[];
  step_ids: number[][];
  step_logits: number[];
};

function linear(model: OnnxModel, projection: ProjectionAnatomy): Float32Array {
  const data = model.getInitializer(projection.weight).data as Float32Array;
  if (!projection.transposed) return Float32Array.from(data);
  const { inFeatures: rows, outFeatures: columns } = projection; // stored [in, out]
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c];
  return out;
}

function weightsFromAnatomy(model: OnnxModel): { config: DecoderConfig; weights: DecoderWeights } {
  const anatomy = findDecoderAnatomy(model);
  const vector = (name: string) => Float32Array.from(model.getInitializer(name).data as Float32Array);
  const layers: DecoderLayerWeights[] = anatomy.layers.map((layer) => ({
    inputNorm: vector(layer.inputNorm.weight),
    qProj: linear(model, layer.q),
    kProj: linear(model, layer.k),
    vProj: linear(model, layer.v),
    oProj: linear(model, layer.o),
    postAttentionNorm: vector(layer.postAttentionNorm.weight),
    gateProj: linear(model, layer.gate),
    upProj: linear(model, layer.up),
    downProj: linear(model, layer.down),
  }));
  const config: DecoderConfig = {
    ...anatomy.config,
    rmsNormEps: anatomy.layers[0].inputNorm.epsilon,
    ropeTheta: golden.config.theta, // computed in-graph from inv_freq; not a graph fact the anatomy reports
    tieWordEmbeddings: anatomy.lmHead.tied,
  };
  const weights: DecoderWeights = {
    embedTokens: vector(anatomy.embedding.weight),
    layers,
    finalNorm: vector(anatomy.finalNorm.weight),
    ...(anatomy.lmHead.tied ? {} : { lmHead: linear(model, anatomy.lmHead) }),
  };
  return { config, weights };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('findDecoderAnatomy on a torch.onnx export', () => {
  test('finds the structure', async () => {
    const model = await readModel(resolve(fixtures, 'torch-llama-tiny.onnx'));
    const anatomy = findDecoderAnatomy(model);
    expect(anatomy.config).toEqual({
      vocabSize: 40,
      hiddenSize: 16,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 4,
      intermediateSize: 24,
    });
    for (const layer of anatomy.layers) {
      expect(layer.inputNorm).toMatchObject({
        kind: 'rms-decomposed',
        weight: `model.layers.${layer.index}.input_layernorm.weight`,
      });
      expect(layer.q.weight).toMatch(/^onnx::MatMul_\d+$/);
      expect(layer.q.node).toBe(`/layers.${layer.index}/self_attn/q_proj/MatMul`);
      expect(layer.k.node).toBe(`/layers.${layer.index}/self_attn/k_proj/MatMul`);
      expect(layer.gate.node).toBe(`/layers.${layer.index}/mlp/gate_proj/MatMul`);
      expect(layer.attention.kind).toBe('decomposed');
      expect(layer.rotary).toMatchObject({ kind: 'decomposed', computed: true });
      expect(layer.past).toEqual({
        key: `past_key_values.${layer.index}.key`,
        value: `past_key_values.${layer.index}.value`,
      });
      expect(layer.present).toEqual({
        key: `present.${layer.index}.key`,
        value: `present.${layer.index}.value`,
      });
    }
    expect(anatomy.layers[0].inputNorm.epsilon).toBeCloseTo(1e-6, 12);
    expect(anatomy.lmHead).toMatchObject({ node: '/lm_head/MatMul', tied: false, outFeatures: 40 });
  });

  test('the weights it names reproduce torch through referenceForward, and ORT agrees on node and web', async () => {
    const model = await readModel(resolve(fixtures, 'torch-llama-tiny.onnx'));
    const { config, weights } = weightsFromAnatomy(model);
    const prefill = referenceForward(config, weights, golden.prompt);
    expect(maxAbsDiff(prefill.logits.data, golden.logits)).toBeLessThan(1e-4);
    const step = referenceForward(config, weights, golden.step_ids, { past: prefill.present });
    expect(maxAbsDiff(step.logits.data, golden.step_logits)).toBeLessThan(1e-4);

    const row = (rows: number[][]) =>
      createTensor('int64', [rows.length, rows[0].length], BigInt64Array.from(rows.flat(), BigInt));
    for (const name of ['node', 'web'] as const) {
      const session = await (await loadBackend(name)).createSession(model);
      try {
        const feeds: Record<string, Tensor> = {
          input_ids: row(golden.step_ids),
          attention_mask: row([new Array(6).fill(1), new Array(6).fill(1)]),
          position_ids: row([[5], [5]]),
        };
        prefill.present.forEach((kv, layer) => {
          feeds[`past_key_values.${layer}.key`] = kv.key;
          feeds[`past_key_values.${layer}.value`] = kv.value;
        });
        const out = await session.run(feeds, ['logits']);
        expect(maxAbsDiff(out.logits.data as Float32Array, golden.step_logits)).toBeLessThan(1e-4);
      } finally {
        await session.release();
      }
    }
  });

  test('works on external-data models without reading the weights', async () => {
    const inline = await readModel(resolve(fixtures, 'torch-llama-tiny.onnx'));
    const folder = mkdtempSync(join(tmpdir(), 'x-anatomy-'));
    try {
      const path = join(folder, 'model.onnx');
      await writeModel(inline, path, { externalData: { sizeThreshold: 0 } });
      const external = await readModel(path);
      const weight = external.findInitializer(findDecoderAnatomy(inline).layers[0].q.weight);
      expect(weight?.dataLocation).toBe(1);
      expect(findDecoderAnatomy(external)).toEqual(findDecoderAnatomy(inline));
      external.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
