import { describe, expect, test } from 'vitest';
import {
  buildDecoderModel,
  createDecoderWeights,
  createTensor,
  type DecoderConfig,
  findDecoderAnatomy,
  insertNode,
  loadBackend,
  OnnxModel,
  referenceForward,
  type Tensor,
} from '../src/index';

// Spellings that real torch.onnx (TorchScript, opset 17) exports of HF Llama add on top of the builder's
// decomposed form. Each edit keeps the function, so the edited model must still match referenceForward, and
// the anatomy must still find every part.
const config: DecoderConfig = {
  vocabSize: 48,
  hiddenSize: 24,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  intermediateSize: 40,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
};

function scalar(model: OnnxModel, name: string, value: number): string {
  model.graph().initializer?.push({
    name,
    dims: [],
    dataType: 1,
    rawData: new Uint8Array(Float32Array.of(value).buffer),
  });
  return name;
}

function outputOf(model: OnnxModel, nodeName: string): string {
  const node = model.graph().node?.find((n) => n.name === nodeName);
  if (!node?.output?.[0]) throw new Error(`no node ${nodeName}`);
  return node.output[0];
}

function applyTorchIsms(model: OnnxModel): void {
  // cos/sin scaled by HF `attention_scaling` (1.0 for plain RoPE).
  const one = scalar(model, 'attention_scaling', 1);
  for (const op of ['Cos', 'Sin']) {
    const value = outputOf(model, `/model/rotary_emb/${op}`);
    insertNode(
      model,
      { opType: 'Mul', inputs: [value, one], outputs: [`${value}_scaled`] },
      { rewireConsumersOf: value },
    );
  }
  for (let layer = 0; layer < config.numLayers; layer++) {
    const scope = `/model/layers.${layer}/self_attn`;
    // SDPA symbolic: q and kᵀ each scaled by sqrt(1/sqrt(d)) before the MatMul, no scale after it.
    const half = scalar(model, `${scope}/sqrt_scale`, Math.sqrt(1 / Math.sqrt(config.headDim)));
    const q = outputOf(model, `${scope}/q_rope/Add`);
    const kT = outputOf(model, `${scope}/Transpose_3`);
    insertNode(
      model,
      { opType: 'Mul', inputs: [q, half], outputs: [`${q}_scaled`] },
      { rewireConsumersOf: q },
    );
    insertNode(
      model,
      { opType: 'Mul', inputs: [kT, half], outputs: [`${kT}_scaled`] },
      { rewireConsumersOf: kT },
    );
    const scale = model.graph().node?.find((n) => n.name === `${scope}/Mul`);
    if (!scale?.input) throw new Error('no scale Mul');
    scale.opType = 'Identity';
    scale.input = [scale.input[0]];
    // softmax(dtype=float32).to(query.dtype), then eval-mode dropout.
    const probabilities = outputOf(model, `${scope}/Softmax`);
    insertNode(
      model,
      {
        opType: 'Cast',
        inputs: [probabilities],
        outputs: [`${probabilities}_cast`],
        attributes: { to: { int: 1 } },
      },
      { rewireConsumersOf: probabilities },
    );
    insertNode(
      model,
      { opType: 'Dropout', inputs: [`${probabilities}_cast`], outputs: [`${probabilities}_dropout`] },
      { rewireConsumersOf: `${probabilities}_cast` },
    );
  }
  // lm_head(hidden[:, -logits_to_keep:, :]) with logits_to_keep = 0: a full Slice before the head.
  const final = outputOf(model, '/model/norm/Mul_1');
  const ints = (name: string, values: bigint[]) => {
    model.graph().initializer?.push({
      name,
      dims: [values.length],
      dataType: 7,
      rawData: new Uint8Array(BigInt64Array.from(values).buffer),
    });
    return name;
  };
  insertNode(
    model,
    {
      opType: 'Slice',
      inputs: [
        final,
        ints('keep_start', [0n]),
        ints('keep_end', [9223372036854775807n]),
        ints('keep_axis', [1n]),
      ],
      outputs: [`${final}_kept`],
    },
    { rewireConsumersOf: final },
  );
}

describe('torch.onnx spellings of the decomposed form', () => {
  test('the edited model still computes the decoder and the anatomy still finds every part', async () => {
    const weights = createDecoderWeights(config, { seed: 13 });
    const model = new OnnxModel(buildDecoderModel(config, weights, { form: 'decomposed' }));
    applyTorchIsms(model);

    const anatomy = findDecoderAnatomy(model);
    expect(anatomy.layers).toHaveLength(2);
    for (const layer of anatomy.layers) {
      expect(layer.attention).toMatchObject({ kind: 'decomposed', numHeads: 4, numKvHeads: 2, headDim: 8 });
      // Found through the attention_scaling Mul back to the Cos/Sin nodes.
      expect(layer.rotary).toMatchObject({ kind: 'decomposed', computed: true });
      expect(layer.rotary.nodes).toEqual([
        `/model/layers.${layer.index}/self_attn/q_rope/Mul`,
        `/model/layers.${layer.index}/self_attn/q_rope/Mul_1`,
      ]);
    }
    expect(anatomy.layers[1].q.node).toBe('/model/layers.1/self_attn/q_proj/MatMul');
    expect(anatomy.layers[1].v.node).toBe('/model/layers.1/self_attn/v_proj/MatMul');
    expect(anatomy.lmHead.node).toBe('/lm_head/MatMul');
    expect(anatomy.lmHead.input).toMatch(/_kept$/);

    const ids = [
      [3, 17, 40, 2, 9],
      [11, 0, 47, 23, 5],
    ];
    const row = (rows: number[][]) =>
      createTensor('int64', [rows.length, rows[0].length], BigInt64Array.from(rows.flat(), BigInt));
    const feeds: Record<string, Tensor> = {
      input_ids: row(ids),
      attention_mask: row(ids.map((r) => r.map(() => 1))),
      position_ids: row(ids.map((r) => r.map((_, i) => i))),
    };
    for (let layer = 0; layer < config.numLayers; layer++) {
      const empty = createTensor('float32', [2, config.numKvHeads, 0, config.headDim]);
      feeds[`past_key_values.${layer}.key`] = empty;
      feeds[`past_key_values.${layer}.value`] = empty;
    }
    const session = await (await loadBackend('node')).createSession(model);
    try {
      const logits = (await session.run(feeds, ['logits'])).logits.data as Float32Array;
      const expected = referenceForward(config, weights, ids).logits.data;
      let max = 0;
      for (let i = 0; i < logits.length; i++) max = Math.max(max, Math.abs(logits[i] - expected[i]));
      expect(max).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  });
});
