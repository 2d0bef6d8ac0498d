// One decoder block at a time: extract layer 1 of a built Llama decoder and check it reproduces the
// full model's values. Block boundaries are found from node names (`/model/layers.1/...`), types come from
// the tensors of a full run (a Tensor satisfies ValueType), so no value_info is needed.
import { describe, expect, it } from 'vitest';
import {
  addGraphOutputs,
  buildDecoderModel,
  createDecoderWeights,
  createTensor,
  extractSubgraph,
  loadBackend,
  type OnnxModel,
  onnx,
  parseModel,
  type Tensor,
} from '../src/index';

const config = {
  vocabSize: 32,
  hiddenSize: 16,
  numLayers: 3,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 8,
  intermediateSize: 24,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
};

function blockBoundary(model: OnnxModel, prefix: string): { inputs: string[]; outputs: string[] } {
  const graph = model.graph();
  const nodes = graph.node ?? [];
  const block = nodes.filter((node) => node.name?.startsWith(prefix));
  const inside = new Set(block.flatMap((node) => node.output ?? []));
  const constants = new Set(
    nodes.filter((node) => (node.input ?? []).length === 0).flatMap((node) => node.output ?? []),
  );
  const initializers = new Set((graph.initializer ?? []).map((tensor) => tensor.name));
  const inputs = new Set<string>();
  for (const node of block) {
    for (const name of node.input ?? []) {
      if (name && !inside.has(name) && !constants.has(name) && !initializers.has(name)) inputs.add(name);
    }
  }
  const readOutside = new Set(
    nodes.filter((node) => !block.includes(node)).flatMap((node) => node.input ?? []),
  );
  const graphOutputs = new Set((graph.output ?? []).map((value) => value.name));
  const outputs = [...inside].filter((name) => readOutside.has(name) || graphOutputs.has(name));
  return { inputs: [...inputs], outputs };
}

describe.each(['node', 'web'] as const)('decoder block extraction on %s', (name) => {
  it('layer 1 alone reproduces the full model values', async () => {
    const proto = buildDecoderModel(config, createDecoderWeights(config, { seed: 3 }));
    const full = parseModel(onnx.ModelProto.encode(proto).finish());
    const { inputs, outputs } = blockBoundary(full, '/model/layers.1/');
    expect(outputs).toContain('present.1.key');
    const probe = full.clone();
    addGraphOutputs(probe, [...inputs, ...outputs]);
    const backend = await loadBackend(name);
    const session = await backend.createSession(probe, { graphOptimizationLevel: 'disabled' });
    const seq = 3;
    const feeds: Record<string, Tensor> = {
      input_ids: createTensor('int64', [1, seq], [1n, 5n, 9n]),
      attention_mask: createTensor('int64', [1, seq], [1n, 1n, 1n]),
      position_ids: createTensor('int64', [1, seq], [0n, 1n, 2n]),
    };
    for (let layer = 0; layer < config.numLayers; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] = createTensor('float32', [
          1,
          config.numKvHeads,
          0,
          config.headDim,
        ]);
      }
    }
    const values = await session.run(feeds);
    await session.release();

    const block = extractSubgraph(full, { inputs, outputs, types: values });
    expect(block.graph().node?.every((node) => !node.name?.startsWith('/model/layers.0/'))).toBe(true);
    const blockSession = await backend.createSession(block, { graphOptimizationLevel: 'disabled' });
    const blockValues = await blockSession.run(
      Object.fromEntries(inputs.map((input) => [input, values[input]])),
    );
    await blockSession.release();
    for (const output of outputs) expect(blockValues[output].data, output).toEqual(values[output].data);
  });
});
