import {
  argmax,
  buildDecoderModel,
  createDecoderWeights,
  createTensor,
  type DecoderConfig,
  loadBackend,
  OnnxModel,
} from '@x/core';
import { describe, expect, it } from 'vitest';
import { createKvPolicy } from '../src/policy/registry';
import { createGenerator } from '../src/runtime/create-generator';
import { createStockKvAdapter } from '../src/runtime/stock-adapter';

const config: DecoderConfig = {
  vocabSize: 40,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  intermediateSize: 24,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: true,
};

describe('createStockKvAdapter', () => {
  it('drives a raw stock session (own loop) to the same tokens as the generator with StreamingLLM', async () => {
    const model = new OnnxModel(
      buildDecoderModel(config, createDecoderWeights(config, { seed: 3, scale: 2 })),
    );
    const backend = await loadBackend('node');
    const session = await backend.createSession(model);
    const policy = createKvPolicy('streaming', { sinks: 1, window: 3 });
    const adapter = createStockKvAdapter(policy, { numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8 });
    const prompt = [1, 5, 9, 2, 7, 30, 11];
    let pending = prompt;
    const tokens: number[] = [];
    for (let step = 0; step < 5; step++) {
      const feeds = adapter.feeds(pending.length);
      const outputs = await session.run({
        input_ids: createTensor('int64', [1, pending.length], BigInt64Array.from(pending, BigInt)),
        attention_mask: feeds.attentionMask,
        position_ids: feeds.positionIds,
        ...feeds.past,
      });
      adapter.update(outputs, pending.length);
      const logits = outputs.logits.data as Float32Array;
      const token = argmax(logits.subarray(logits.length - config.vocabSize));
      tokens.push(token);
      pending = [token];
    }
    expect(adapter.cache.length()).toBe(4);
    expect(adapter.position).toBe(prompt.length + 4);
    expect(Array.from(adapter.cache.positions())).toEqual([0, 8, 9, 10]);
    const generator = await createGenerator(model, { backend, policy });
    expect((await generator.generate(prompt, { maxNewTokens: 5 })).tokens).toEqual(tokens);
    await generator.release();
    await session.release();
  });
});
