import type { onnx } from 'onnx-proto';
import { describe, expect, test } from 'vitest';
import {
  buildDecoderModel,
  createDecoderWeights,
  type DecoderConfig,
  findDecoderAnatomy,
  isXError,
  type ProjectionAnatomy,
} from '../src/index';

const base = { rmsNormEps: 1e-5, ropeTheta: 10000, maxPositionEmbeddings: 32 };
const shapes: Record<string, DecoderConfig> = {
  'ratio 1, odd sizes, 1 layer, untied': {
    ...base,
    vocabSize: 29,
    hiddenSize: 13,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 2,
    headDim: 8,
    intermediateSize: 19,
    tieWordEmbeddings: false,
  },
  'ratio 2, tied, 2 layers, headDim 16': {
    ...base,
    vocabSize: 32,
    hiddenSize: 20,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    intermediateSize: 37,
    tieWordEmbeddings: true,
  },
  'ratio 4, 3 layers, tied': {
    ...base,
    vocabSize: 40,
    hiddenSize: 24,
    numLayers: 3,
    numHeads: 8,
    numKvHeads: 2,
    headDim: 8,
    intermediateSize: 45,
    tieWordEmbeddings: true,
    rmsNormEps: 1e-6,
  },
};
const variants = [
  { form: 'decomposed', fusedRotary: undefined },
  { form: 'fused', fusedRotary: 'gqa' },
  { form: 'fused', fusedRotary: 'rotary-embedding' },
] as const;

function build(config: DecoderConfig, variant: (typeof variants)[number]) {
  const weights = createDecoderWeights(config, { seed: 21 });
  const model = buildDecoderModel(config, weights, { form: variant.form, fusedRotary: variant.fusedRotary });
  return { weights, model };
}

function initializer(model: onnx.IModelProto, name: string): Float32Array {
  const tensor = model.graph?.initializer?.find((t) => t.name === name);
  if (!tensor?.rawData) throw new Error(`no initializer ${name}`);
  return new Float32Array(tensor.rawData.slice().buffer);
}

function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c];
  return out;
}

/** The projection's stored weight equals the nn.Linear [out, in] matrix in the layout anatomy reports. */
function expectWeight(
  model: onnx.IModelProto,
  projection: ProjectionAnatomy,
  linear: Float32Array,
  out: number,
  inFeatures: number,
) {
  expect(projection.outFeatures).toBe(out);
  expect(projection.inFeatures).toBe(inFeatures);
  const stored = initializer(model, projection.weight);
  expect(stored).toEqual(projection.transposed ? transpose(linear, out, inFeatures) : linear);
}

function codeOf(fn: () => unknown): { code: string; message: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (error) {
    if (isXError(error)) return { code: error.code, message: error.message, details: error.details };
    return { code: 'not an XError', message: String(error) };
  }
  return { code: 'no error', message: '' };
}

describe.each(Object.entries(shapes))('findDecoderAnatomy on %s', (_, config) => {
  test.each(variants)('$form form ($fusedRotary rotary) finds every part', (variant) => {
    const { weights, model } = build(config, variant);
    const anatomy = findDecoderAnatomy(model);
    const { hiddenSize: hidden, numHeads, numKvHeads, headDim, intermediateSize, vocabSize } = config;
    expect(anatomy.config).toEqual({
      vocabSize,
      hiddenSize: hidden,
      numLayers: config.numLayers,
      numHeads,
      numKvHeads,
      headDim,
      intermediateSize,
    });
    expect(anatomy.embedding.weight).toBe('model.embed_tokens.weight');
    expect(anatomy.io.inputIds).toBe('input_ids');
    expect(anatomy.io.logits).toBe('logits');
    expect(anatomy.io.attentionMask).toBe('attention_mask');
    expect(anatomy.io.positionIds).toBe('position_ids');
    const fused = variant.form === 'fused';
    let previousExit = anatomy.embedding.output;
    anatomy.layers.forEach((layer, i) => {
      const lw = weights.layers[i];
      expectWeight(model, layer.q, lw.qProj, numHeads * headDim, hidden);
      expectWeight(model, layer.k, lw.kProj, numKvHeads * headDim, hidden);
      expectWeight(model, layer.v, lw.vProj, numKvHeads * headDim, hidden);
      expectWeight(model, layer.o, lw.oProj, hidden, numHeads * headDim);
      expectWeight(model, layer.gate, lw.gateProj, intermediateSize, hidden);
      expectWeight(model, layer.up, lw.upProj, intermediateSize, hidden);
      expectWeight(model, layer.down, lw.downProj, hidden, intermediateSize);
      for (const projection of [layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down]) {
        expect(projection.opType).toBe('MatMul');
        expect(projection.transposed).toBe(true);
      }
      if (fused) {
        expect(layer.q.weight).toBe(`model.layers.${i}.self_attn.q_proj.weight`);
        expect(layer.down.weight).toBe(`model.layers.${i}.mlp.down_proj.weight`);
      } else {
        expect(layer.q.weight).toMatch(/^onnx::MatMul_\d+$/);
      }
      expect(layer.inputNorm.weight).toBe(`model.layers.${i}.input_layernorm.weight`);
      expect(layer.postAttentionNorm.weight).toBe(`model.layers.${i}.post_attention_layernorm.weight`);
      expect(initializer(model, layer.inputNorm.weight)).toEqual(lw.inputNorm);
      expect(layer.inputNorm.epsilon).toBeCloseTo(config.rmsNormEps, 12);
      expect(layer.inputNorm.kind).toBe(
        fused ? (i === 0 ? 'simplified-layer-norm' : 'skip-simplified-layer-norm') : 'rms-decomposed',
      );
      expect(layer.postAttentionNorm.kind).toBe(fused ? 'skip-simplified-layer-norm' : 'rms-decomposed');
      expect(layer.attention).toMatchObject({
        kind: fused ? 'gqa' : 'decomposed',
        numHeads,
        numKvHeads,
        headDim,
      });
      expect(layer.rotary.kind).toBe(fused ? variant.fusedRotary : 'decomposed');
      if (fused)
        expect(layer.rotary).toMatchObject({
          cosCache: 'cos_cache',
          sinCache: 'sin_cache',
          interleaved: false,
        });
      else expect(layer.rotary.computed).toBe(true);
      expect(layer.activation.kind).toBe('silu');
      expect(layer.past).toEqual({ key: `past_key_values.${i}.key`, value: `past_key_values.${i}.value` });
      expect(layer.present).toEqual({ key: `present.${i}.key`, value: `present.${i}.value` });
      // The residual stream is continuous: each block starts where the previous one ended.
      expect(layer.residual.entry).toBe(previousExit);
      expect(layer.residual.afterAttention).toBeTruthy();
      expect(layer.residual.exit).toBeTruthy();
      previousExit = layer.residual.exit as string;
    });
    expect(anatomy.finalNorm.weight).toBe('model.norm.weight');
    expect(anatomy.finalNorm.kind).toBe(fused ? 'skip-simplified-layer-norm' : 'rms-decomposed');
    expect(anatomy.lmHead.tied).toBe(config.tieWordEmbeddings);
    if (config.tieWordEmbeddings) {
      expect(anatomy.lmHead).toMatchObject({ weight: 'model.embed_tokens.weight', transposed: false });
      expect(anatomy.lmHead.opType).toBe(fused ? 'Gemm' : 'MatMul');
    } else {
      expectWeight(model, anatomy.lmHead, weights.lmHead as Float32Array, vocabSize, hidden);
    }
  });
});

/** Renames every initializer to an opaque name, blanks every node name, and adds Cast/Identity noise. */
function obfuscate(model: onnx.IModelProto): void {
  const graph = model.graph as onnx.IGraphProto;
  const renamed = new Map<string, string>();
  (graph.initializer ?? []).forEach((tensor, i) => {
    renamed.set(tensor.name ?? '', `w${i}`);
    tensor.name = `w${i}`;
  });
  const nodes = graph.node ?? [];
  for (const node of nodes) {
    node.name = '';
    node.input = (node.input ?? []).map((input) => renamed.get(input) ?? input);
  }
  // Cast (float→float) on every MatMul weight and Identity on every MatMul activation input.
  const noisy: onnx.INodeProto[] = [];
  nodes.forEach((node, i) => {
    if (node.opType === 'MatMul') {
      const [a, b] = node.input as string[];
      noisy.push({ opType: 'Identity', input: [a], output: [`noise_a_${i}`], attribute: [] });
      noisy.push({
        opType: 'Cast',
        input: [b],
        output: [`noise_b_${i}`],
        attribute: [{ name: 'to', type: 2, i: 1 }],
      });
      node.input = [`noise_a_${i}`, `noise_b_${i}`];
    }
    noisy.push(node);
  });
  graph.node = noisy;
}

describe('robustness', () => {
  test.each(variants)(
    '$form form ($fusedRotary) is found from structure alone: no names, Cast/Identity noise',
    (variant) => {
      const config = shapes['ratio 4, 3 layers, tied'];
      const { weights, model } = build(config, variant);
      obfuscate(model);
      const anatomy = findDecoderAnatomy(model);
      expect(anatomy.layers).toHaveLength(3);
      const layer = anatomy.layers[2];
      expectWeight(
        model,
        layer.k,
        weights.layers[2].kProj,
        config.numKvHeads * config.headDim,
        config.hiddenSize,
      );
      expectWeight(model, layer.down, weights.layers[2].downProj, config.hiddenSize, config.intermediateSize);
      expect(layer.q.weightPath).toEqual([expect.stringMatching(/^Cast#\d+$/)]);
      expect(layer.q.node).toMatch(/^MatMul#\d+$/);
      expect(anatomy.lmHead.tied).toBe(true);
    },
  );
});

describe('quantized and Gemm projections', () => {
  test('a MatMulNBits projection is reported with its packing, layout and features', () => {
    const config = shapes['ratio 2, tied, 2 layers, headDim 16'];
    const { model } = build(config, variants[1]);
    const graph = model.graph as onnx.IGraphProto;
    const node = graph.node?.find((n) => n.name === '/model/layers.1/mlp/up_proj/MatMul') as onnx.INodeProto;
    // 4-bit, block 16: B is uint8 [N, ceil(K/16), 8], scales [N * ceil(K/16)] (ORT ContribOperators.md).
    const [k, n, blockSize] = [config.hiddenSize, config.intermediateSize, 16];
    const blocks = Math.ceil(k / blockSize);
    graph.initializer?.push(
      {
        name: 'up_q4',
        dims: [n, blocks, blockSize / 2],
        dataType: 2,
        rawData: new Uint8Array(n * blocks * 8),
      },
      { name: 'up_scales', dims: [n * blocks], dataType: 1, rawData: new Uint8Array(n * blocks * 4) },
    );
    node.opType = 'MatMulNBits';
    node.domain = 'com.microsoft';
    node.input = [node.input?.[0] ?? '', 'up_q4', 'up_scales'];
    node.attribute = [
      { name: 'K', type: 2, i: k },
      { name: 'N', type: 2, i: n },
      { name: 'bits', type: 2, i: 4 },
      { name: 'block_size', type: 2, i: blockSize },
    ];
    const up = findDecoderAnatomy(model).layers[1].up;
    expect(up).toMatchObject({
      node: '/model/layers.1/mlp/up_proj/MatMul',
      opType: 'MatMulNBits',
      weight: 'up_q4',
      transposed: false,
      inFeatures: k,
      outFeatures: n,
      quantization: { bits: 4, blockSize, scales: 'up_scales' },
    });
  });

  test('MultiHeadAttention (com.microsoft) with RotaryEmbedding is found as kind mha', () => {
    const config = shapes['ratio 1, odd sizes, 1 layer, untied'];
    const { model } = build(config, variants[2]);
    const gqa = model.graph?.node?.find((n) => n.opType === 'GroupQueryAttention') as onnx.INodeProto;
    const [q, k, v, pastKey, pastValue] = gqa.input as string[];
    gqa.opType = 'MultiHeadAttention';
    gqa.input = [q, k, v, '', '', '', pastKey, pastValue];
    gqa.attribute = [{ name: 'num_heads', type: 2, i: config.numHeads }];
    const layer = findDecoderAnatomy(model).layers[0];
    expect(layer.attention).toMatchObject({ kind: 'mha', numHeads: 2, numKvHeads: 2, headDim: 8 });
    expect(layer.rotary.kind).toBe('rotary-embedding');
    expect(layer.q.node).toBe('/model/layers.0/attn/q_proj/MatMul');
    expect(layer.past).toEqual({ key: 'past_key_values.0.key', value: 'past_key_values.0.value' });
    expect(layer.present).toEqual({ key: 'present.0.key', value: 'present.0.value' });
  });

  test('a Gemm projection between Reshapes, with transB=0 and a bias', () => {
    const config = shapes['ratio 1, odd sizes, 1 layer, untied'];
    const { weights, model } = build(config, variants[0]);
    const graph = model.graph as onnx.IGraphProto;
    const index = graph.node?.findIndex(
      (n) => n.name === '/model/layers.0/self_attn/v_proj/MatMul',
    ) as number;
    const node = graph.node?.[index] as onnx.INodeProto;
    const [input, weight] = node.input as string[];
    const out = config.numKvHeads * config.headDim;
    graph.initializer?.push(
      { name: 'flat_shape', dims: [2], dataType: 7, int64Data: [-1, config.hiddenSize] },
      { name: 'v_bias', dims: [out], dataType: 1, rawData: new Uint8Array(out * 4) },
    );
    const output = node.output?.[0] as string;
    graph.node?.splice(
      index,
      1,
      { name: 'flat', opType: 'Reshape', input: [input, 'flat_shape'], output: ['flat_out'] },
      { name: 'v_gemm', opType: 'Gemm', input: ['flat_out', weight, 'v_bias'], output: ['gemm_out'] },
      { name: 'unflat', opType: 'Reshape', input: ['gemm_out', 'unflat_shape'], output: [output] },
    );
    graph.initializer?.push({ name: 'unflat_shape', dims: [3], dataType: 7, int64Data: [0, -1, out] });
    const v = findDecoderAnatomy(model).layers[0].v;
    expect(v).toMatchObject({
      node: 'v_gemm',
      opType: 'Gemm',
      bias: 'v_bias',
      transposed: true,
      outFeatures: out,
    });
    expectWeight(model, v, weights.layers[0].vProj, out, config.hiddenSize);
  });
});

/** Removes layer 0's MLP: its post-attention norm and MLP nodes go, the attention sum feeds layer 1 directly. */
function dropFirstMlp(model: onnx.IModelProto, form: 'decomposed' | 'fused'): void {
  const graph = model.graph as onnx.IGraphProto;
  const nodes = graph.node ?? [];
  const gone = (name: string) =>
    name.startsWith('/model/layers.0/mlp') || name.startsWith('/model/layers.0/post_attention_layernorm');
  if (form === 'decomposed') {
    graph.node = nodes
      .filter((node) => !gone(node.name ?? ''))
      .map((node) =>
        node.name === '/model/layers.0/Add_1'
          ? {
              name: node.name,
              opType: 'Identity',
              input: [node.input?.[0] ?? ''],
              output: node.output,
              attribute: [],
            }
          : node,
      );
  } else {
    const oProj = nodes.find((node) => node.name === '/model/layers.0/attn/o_proj/MatMul');
    graph.node = nodes
      .filter((node) => !gone(node.name ?? ''))
      .map((node) =>
        node.name === '/model/layers.1/input_layernorm/SkipSimplifiedLayerNorm'
          ? {
              ...node,
              input: ['/model/embed_tokens/Gather_output_0', oProj?.output?.[0] ?? '', node.input?.[2] ?? ''],
            }
          : node,
      );
  }
}

describe('unsupported structures throw X_UNSUPPORTED_ARCHITECTURE naming the node', () => {
  const config = shapes['ratio 2, tied, 2 layers, headDim 16'];

  test.each(['decomposed', 'fused'] as const)('a layer with a missing MLP (%s)', (form) => {
    const { model } = build(config, variants[form === 'decomposed' ? 0 : 1]);
    expect(findDecoderAnatomy(model).layers).toHaveLength(2);
    dropFirstMlp(model, form);
    const error = codeOf(() => findDecoderAnatomy(model));
    expect(error.code).toBe('X_UNSUPPORTED_ARCHITECTURE');
    expect(error.message).toContain('layer 0 has no MLP');
    expect(error.message).toContain(
      form === 'decomposed' ? '/model/layers.0/Add' : '/model/layers.1/input_layernorm',
    );
    expect(error.details?.node).toBeTruthy();
  });

  test('an unknown attention op', () => {
    const { model } = build(config, variants[1]);
    const gqa = model.graph?.node?.find((node) => node.opType === 'GroupQueryAttention') as onnx.INodeProto;
    gqa.opType = 'FancyAttention';
    const error = codeOf(() => findDecoderAnatomy(model));
    expect(error.code).toBe('X_UNSUPPORTED_ARCHITECTURE');
    expect(error.message).toContain('com.microsoft.FancyAttention');
    expect(error.message).toContain('/model/layers.0/attn/GroupQueryAttention');
  });

  test('a decomposed attention without Softmax', () => {
    const { model } = build(config, variants[0]);
    const softmax = model.graph?.node?.find(
      (node) => node.name === '/model/layers.1/self_attn/Softmax',
    ) as onnx.INodeProto;
    softmax.opType = 'Sigmoid';
    const error = codeOf(() => findDecoderAnatomy(model));
    expect(error.code).toBe('X_UNSUPPORTED_ARCHITECTURE');
    expect(error.message).toContain('layer 1');
    expect(error.message).toContain('/model/layers.1/self_attn/q_proj/MatMul');
  });

  test('a mean-centred LayerNorm, a GELU MLP, and a model without a graph', () => {
    const fused = build(config, variants[1]).model;
    const norm = fused.graph?.node?.find(
      (node) => node.opType === 'SimplifiedLayerNormalization',
    ) as onnx.INodeProto;
    norm.opType = 'LayerNormalization';
    expect(codeOf(() => findDecoderAnatomy(fused)).message).toContain(
      '/model/layers.0/input_layernorm/SimplifiedLayerNorm',
    );

    const gelu = build(config, variants[0]).model;
    const sigmoid = gelu.graph?.node?.find(
      (node) => node.name === '/model/layers.0/mlp/act_fn/Sigmoid',
    ) as onnx.INodeProto;
    sigmoid.opType = 'Erf';
    const error = codeOf(() => findDecoderAnatomy(gelu));
    expect(error.code).toBe('X_UNSUPPORTED_ARCHITECTURE');
    expect(error.message).toContain('no SiLU');
    expect(error.message).toContain('Erf node /model/layers.0/mlp/act_fn/Sigmoid');

    expect(codeOf(() => findDecoderAnatomy({})).code).toBe('X_UNSUPPORTED_ARCHITECTURE');
  });
});
