import { describe, expect, test } from 'vitest';
import {
  addGraphOutputs,
  buildDecoderModel,
  createDecoderWeights,
  createTensor,
  type DecoderConfig,
  type DecoderForm,
  extractSubgraph,
  findDecoderAnatomy,
  loadBackend,
  OnnxModel,
  type Tensor,
} from '../src/index';

// The anatomy's residual-stream names are real cut points: a block extracted between them, run on its own
// from the full model's hidden state, reproduces the full model's block output and KV cache.
const config: DecoderConfig = {
  vocabSize: 32,
  hiddenSize: 20,
  numLayers: 3,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 37,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: true,
  maxPositionEmbeddings: 32,
};
const batch = 2;
const seq = 5;

function feedsFor(layers: number[]): Record<string, Tensor> {
  const ids = BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt((i * 7 + 3) % config.vocabSize));
  const positions = BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(i % seq));
  const feeds: Record<string, Tensor> = {
    input_ids: createTensor('int64', [batch, seq], ids),
    attention_mask: createTensor('int64', [batch, seq], new BigInt64Array(batch * seq).fill(1n)),
    position_ids: createTensor('int64', [batch, seq], positions),
  };
  for (const layer of layers) {
    const empty = createTensor('float32', [batch, config.numKvHeads, 0, config.headDim]);
    feeds[`past_key_values.${layer}.key`] = empty;
    feeds[`past_key_values.${layer}.value`] = empty;
  }
  return feeds;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.dims).toEqual(b.dims);
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

describe.each(['decomposed', 'fused'] as DecoderForm[])(
  '%s form: block 1 cut at the anatomy residual names',
  (form) => {
    test('runs alone and matches the full model', async () => {
      const weights = createDecoderWeights(config, { seed: 5 });
      const proto = buildDecoderModel(config, weights, { form });
      const layer = findDecoderAnatomy(proto).layers[1];
      // Decomposed: the block reads the residual value itself. Fused: layer 1's input norm is a
      // SkipSimplifiedLayerNormalization that adds the previous block's two addends, so those are the cut.
      const hiddenInputs =
        form === 'decomposed' ? [layer.residual.entry] : (layer.inputNorm.skipInputs ?? []);
      expect(hiddenInputs.length).toBeGreaterThan(0);
      const exit = layer.residual.exit as string;
      const past = layer.past as { key: string; value: string };
      const present = layer.present as { key: string; value: string };

      const full = new OnnxModel(proto);
      const block = extractSubgraph(full, {
        inputs: [...hiddenInputs, 'input_ids', 'attention_mask', 'position_ids', past.key, past.value],
        outputs: [exit, present.key, present.value],
        types: Object.fromEntries(
          hiddenInputs.map((name) => [
            name,
            { dtype: 'float32', dims: ['batch_size', 'sequence_length', config.hiddenSize] },
          ]),
        ),
      });
      // The block holds exactly one layer's projections.
      const blockInitializers = new Set(block.graph().initializer?.map((tensor) => tensor.name));
      expect(blockInitializers.has(layer.q.weight)).toBe(true);
      expect(blockInitializers.has(findDecoderAnatomy(proto).layers[0].q.weight)).toBe(false);
      addGraphOutputs(full, [...hiddenInputs, exit]);

      const backend = await loadBackend('node');
      const fullSession = await backend.createSession(full);
      const blockSession = await backend.createSession(block);
      try {
        const reference = await fullSession.run(feedsFor([0, 1, 2]));
        const blockFeeds = feedsFor([1]);
        for (const name of hiddenInputs) blockFeeds[name] = reference[name];
        const alone = await blockSession.run(blockFeeds);
        expect(maxAbsDiff(alone[exit], reference[exit])).toBeLessThan(1e-5);
        expect(maxAbsDiff(alone[present.key], reference[present.key])).toBeLessThan(1e-5);
        // And the block changes the stream (the comparison is not trivially equal inputs).
        if (form === 'decomposed')
          expect(maxAbsDiff(reference[exit], reference[hiddenInputs[0]])).toBeGreaterThan(1e-2);
      } finally {
        await fullSession.release();
        await blockSession.release();
      }
    });
  },
);
