import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  argmax,
  buildDecoderModel,
  createDecoderWeights,
  createTensor,
  type DecoderConfig,
  fromOrt,
  loadBackend,
  OnnxModel,
  type Tensor,
  toOrt,
} from '@x/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { isKvCacheError } from '../src/errors';
import { createKvPolicy } from '../src/policy/registry';
import { createGenerator } from '../src/runtime/create-generator';
import { createStockKvAdapter } from '../src/runtime/stock-adapter';
import { withStockQueryOutputs } from '../src/runtime/stock-queries';

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

describe('createStockKvAdapter with SnapKV', () => {
  it('scores the prompt with the query outputs and emits the tokens of split-mode SnapKV', async () => {
    const model = new OnnxModel(
      buildDecoderModel(config, createDecoderWeights(config, { seed: 5, scale: 2 }), { form: 'decomposed' }),
    );
    const backend = await loadBackend('node');
    const { model: withQueries, source } = withStockQueryOutputs(model);
    const session = await backend.createSession(withQueries);
    const policy = createKvPolicy('snapkv', { window: 2, capacity: 5 });
    const shape = { numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8 };
    const adapter = createStockKvAdapter(policy, shape, { queries: source });
    const prompt = [1, 5, 9, 2, 7, 30, 11, 4, 17, 3];
    let pending = prompt;
    const tokens: number[] = [];
    for (let step = 0; step < 4; step++) {
      const feeds = adapter.feeds(pending.length);
      const outputs = await session.run({
        input_ids: createTensor('int64', [1, pending.length], BigInt64Array.from(pending, BigInt)),
        attention_mask: feeds.attentionMask,
        position_ids: feeds.positionIds,
        ...feeds.past,
      });
      adapter.update(outputs, pending.length);
      const logits = outputs.logits.data as Float32Array;
      tokens.push(argmax(logits.subarray(logits.length - config.vocabSize)));
      pending = [tokens[tokens.length - 1]];
    }
    expect(adapter.cache.length()).toBe(5 + 3);
    const split = await createGenerator(model, { mode: 'split', backend, policy });
    expect((await split.generate(prompt, { maxNewTokens: 4 })).tokens).toEqual(tokens);
    // Without the query source the same prompt cannot be scored.
    const blind = createStockKvAdapter(policy, shape);
    const feeds = blind.feeds(prompt.length);
    const outputs = await session.run({
      input_ids: createTensor('int64', [1, prompt.length], BigInt64Array.from(prompt, BigInt)),
      attention_mask: feeds.attentionMask,
      position_ids: feeds.positionIds,
      ...feeds.past,
    });
    let error: unknown;
    try {
      blind.update(outputs, prompt.length);
    } catch (caught) {
      error = caught;
    }
    expect(isKvCacheError(error) && error.code).toBe('KV_POLICY_UNAVAILABLE');
    await split.release();
    await session.release();
  });
});

// The transformers.js-style contract: a raw onnxruntime InferenceSession on the reference model's Optimum export,
// the loop written by hand, the KV policy plugged in through the adapter (KIVI-4 with R 32: packed between steps).
const referenceDir = fileURLToPath(new URL('../../reference-lm/model', import.meta.url));
const golden = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../reference-lm/golden.json', import.meta.url)), 'utf8'),
) as { prompts: { name: string; inputIds: number[] }[] };

describe('createStockKvAdapter on a raw onnxruntime-node InferenceSession (reference LM)', () => {
  it('kivi4: the hand-written loop emits the same tokens as the generator and holds the packed bytes between steps', async () => {
    const session = await ort.InferenceSession.create(`${referenceDir}/onnx/model.onnx`);
    const policy = createKvPolicy('kivi4', { residualLength: 32 });
    const shape = { numLayers: 9, numHeads: 8, numKvHeads: 4, headDim: 32 };
    const adapter = createStockKvAdapter(policy, shape);
    const prompt = golden.prompts.find((entry) => entry.name === 'code')?.inputIds ?? [];
    const fetches = [
      'logits',
      ...Array.from({ length: 9 }, (_, l) => [`present.${l}.key`, `present.${l}.value`]).flat(),
    ];
    let pending = prompt;
    const tokens: number[] = [];
    for (let step = 0; step < 6; step++) {
      const feeds = adapter.feeds(pending.length);
      const inputs: Record<string, Tensor> = {
        input_ids: createTensor('int64', [1, pending.length], BigInt64Array.from(pending, BigInt)),
        attention_mask: feeds.attentionMask,
        position_ids: feeds.positionIds,
        ...feeds.past,
      };
      const results = await session.run(
        Object.fromEntries(
          Object.entries(inputs).map(([name, tensor]) => [name, toOrt(ort, tensor, name) as ort.Tensor]),
        ),
        fetches,
      );
      const outputs = Object.fromEntries(
        Object.entries(results).map(([name, tensor]) => [name, fromOrt(tensor, name)]),
      );
      adapter.update(outputs, pending.length);
      const logits = outputs.logits.data as Float32Array;
      const token = argmax(logits.subarray(logits.length - logits.length / pending.length));
      tokens.push(token);
      pending = [token];
    }
    expect(adapter.position).toBe(prompt.length + 5);
    expect(adapter.cache.length()).toBe(prompt.length + 5);
    // 260 tokens at R 32: keys 256 packed + 4 fp32, values 228 packed + 32 fp32, per layer and KV head, 4-bit codes
    // with an fp32 scale and min per group of 32.
    const perHead = (256 / 32) * 32 * (16 + 8) + 228 * (32 / 32) * (16 + 8) + (4 + 32) * 32 * 4;
    expect(adapter.cache.bytes().resident).toBe(9 * 4 * perHead);
    const generator = await createGenerator(referenceDir, { mode: 'stock', policy });
    expect((await generator.generate(prompt, { maxNewTokens: 6 })).tokens).toEqual(tokens);
    await generator.release();
    await session.release();
  });

  it('refuses RazorAttention, saying why (per-head budgets, one mask for all heads)', () => {
    const profile = {
      format: 'x-kv/razor-heads@1',
      fingerprint: { numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8, vocabSize: 40, weightsHash: '' },
      heads: [[0], []],
      scores: {
        echo: [
          [0, 0],
          [0, 0],
        ],
        induction: [
          [1, 0],
          [0, 0],
        ],
      },
    };
    let error: unknown;
    try {
      createStockKvAdapter(createKvPolicy('razor', { profile }), {
        numLayers: 2,
        numHeads: 4,
        numKvHeads: 2,
        headDim: 8,
      });
    } catch (caught) {
      error = caught;
    }
    expect(isKvCacheError(error) && error.code).toBe('KV_POLICY_UNAVAILABLE');
    expect((error as Error).message).toMatch(/its own budget.*one past length and one 2-D attention mask/);
  });
});
