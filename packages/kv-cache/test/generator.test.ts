import {
  argmax,
  type BackendName,
  buildDecoderModel,
  createDecoderWeights,
  type DecoderConfig,
  type DecoderForm,
  loadBackend,
  OnnxModel,
  referenceForward,
} from '@x/core';
import { describe, expect, it } from 'vitest';
import { isKvCacheError } from '../src/errors';
import { createKvPolicy } from '../src/policy/registry';
import { createGenerator } from '../src/runtime/create-generator';

const config: DecoderConfig = {
  vocabSize: 48,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 40,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
  maxPositionEmbeddings: 64,
};
const weights = createDecoderWeights(config, { seed: 11, scale: 2 });
const prompt = [3, 17, 5, 42, 9, 1, 30, 22, 8, 15];
const newTokens = 6;

/** Greedy continuation by full recomputation with the plain-TS oracle. */
function referenceGreedy(ids: number[], count: number): number[] {
  const history = [...ids];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const { logits } = referenceForward(config, weights, [history]);
    const vocab = config.vocabSize;
    const last = (logits.data as Float32Array).subarray((history.length - 1) * vocab, history.length * vocab);
    const token = argmax(last);
    out.push(token);
    history.push(token);
  }
  return out;
}

const expected = referenceGreedy(prompt, newTokens);

function model(form: DecoderForm): OnnxModel {
  return new OnnxModel(buildDecoderModel(config, weights, { form }));
}

describe.each(['node', 'web'] as BackendName[])('generator on onnxruntime-%s', (name) => {
  it('stock and split modes (full cache) reproduce the reference greedy continuation; logits agree to 1e-4', async () => {
    const backend = await loadBackend(name);
    const stock = await createGenerator(model('decomposed'), { mode: 'stock', backend });
    const split = await createGenerator(model('decomposed'), { mode: 'split', backend });
    const fromStock = await stock.generate(prompt, { maxNewTokens: newTokens });
    const fromSplit = await split.generate(prompt, { maxNewTokens: newTokens });
    expect(fromStock.tokens).toEqual(expected);
    expect(fromSplit.tokens).toEqual(expected);
    const a = await stock.forwardAll([...prompt, ...expected]);
    const b = await split.forwardAll([...prompt, ...expected]);
    expect(b.length).toBe(a.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-4);
    const kvPerToken = 2 * config.numLayers * config.numKvHeads * config.headDim * 4;
    expect(fromSplit.kvBytes.resident).toBe((prompt.length + newTokens - 1) * kvPerToken);
    expect(fromStock.kvBytes.resident).toBe((prompt.length + newTokens - 1) * kvPerToken);
    await stock.release();
    await split.release();
  });

  it('StreamingLLM evicts identically in both modes and keeps original positions', async () => {
    const backend = await loadBackend(name);
    const policy = createKvPolicy('streaming', { sinks: 2, window: 4 });
    const stock = await createGenerator(model('decomposed'), { mode: 'stock', backend, policy });
    const split = await createGenerator(model('decomposed'), { mode: 'split', backend, policy });
    const slots: number[] = [];
    const fromStock = await stock.generate(prompt, {
      maxNewTokens: newTokens,
      onStep: (step) => slots.push(step.slots),
    });
    const fromSplit = await split.generate(prompt, { maxNewTokens: newTokens });
    expect(fromSplit.tokens).toEqual(fromStock.tokens);
    expect(slots.every((count) => count === 6)).toBe(true);
    expect(fromSplit.slots).toBe(6);
    // the prefill attends over the whole prompt, so its token equals the full cache's
    expect(fromStock.tokens[0]).toBe(expected[0]);
    await stock.release();
    await split.release();
  });
});

describe('generator (node only)', () => {
  it('split mode runs the fused graph (GroupQueryAttention with rotary caches) to the same tokens', async () => {
    const split = await createGenerator(model('fused'), { mode: 'split', backend: 'node' });
    expect((await split.generate(prompt, { maxNewTokens: newTokens })).tokens).toEqual(expected);
    await split.release();
  });

  it('SnapKV compresses the prompt per head, in split mode and in stock mode (query outputs added by createGenerator)', async () => {
    const policy = createKvPolicy('snapkv', { window: 2, capacity: 6 });
    const split = await createGenerator(model('decomposed'), { mode: 'split', backend: 'node', policy });
    const result = await split.generate(prompt, { maxNewTokens: 3 });
    expect(result.slots).toBe(6 + 2);
    expect(result.tokens[0]).toBe(expected[0]);
    const kvPerToken = 2 * config.numLayers * config.numKvHeads * config.headDim * 4;
    expect(result.kvBytes.resident).toBe(8 * kvPerToken);
    // the peak: the whole prompt in every layer but the ones already compressed
    expect(result.kvBytes.peak).toBeGreaterThanOrEqual(prompt.length * (kvPerToken / config.numLayers));
    await split.release();
    // A stock export outputs no queries (brief §0.7): createGenerator adds q-projection outputs for SnapKV, so stock
    // mode compresses the same way (the adapter without a query source refuses: stock-adapter.test.ts).
    const stock = await createGenerator(model('decomposed'), { mode: 'stock', backend: 'node', policy });
    const stockResult = await stock.generate(prompt, { maxNewTokens: 3 });
    expect(stockResult.tokens).toEqual(result.tokens);
    expect(stockResult.slots).toBe(6 + 2);
    // A prompt within the capacity is kept whole, as split mode does.
    const short = await stock.generate(prompt.slice(0, 5), { maxNewTokens: 2 });
    expect(short.slots).toBe(6);
    await stock.release();
  });

  it('samples reproducibly by seed, streams tokens, stops on a stop id, honours abort', async () => {
    const stock = await createGenerator(model('decomposed'), { mode: 'stock', backend: 'node' });
    const sampling = {
      maxNewTokens: 8,
      temperature: 1.5,
      topK: 10,
      topP: 0.9,
      repetitionPenalty: 1.3,
      seed: 7,
    };
    const streamed: number[] = [];
    const first = await stock.generate(prompt, { ...sampling, onToken: (token) => streamed.push(token) });
    const second = await stock.generate(prompt, sampling);
    expect(second.tokens).toEqual(first.tokens);
    expect(streamed).toEqual(first.tokens);
    const other = await stock.generate(prompt, { ...sampling, seed: 8 });
    expect(other.options.seed).toBe(8);
    const stopped = await stock.generate(prompt, { maxNewTokens: newTokens, stopIds: [expected[1]] });
    expect(stopped.tokens).toEqual(expected.slice(0, 2));
    expect(stopped.stopReason).toBe('stop-id');
    const controller = new AbortController();
    const aborted = await stock
      .generate(prompt, { maxNewTokens: 5, signal: controller.signal, onToken: () => controller.abort() })
      .catch((caught: unknown) => caught);
    expect((aborted as { code?: string }).code).toBe('X_ABORTED');
    await stock.release();
  });

  it('rejects a budget beyond the context and generation past it', async () => {
    const policy = createKvPolicy('streaming', { sinks: 4, window: 100 });
    const error = await createGenerator(model('decomposed'), {
      backend: 'node',
      policy,
      maxPositions: 64,
    }).catch((caught: unknown) => caught);
    expect(isKvCacheError(error) && error.code).toBe('KV_BUDGET_EXCEEDS_CONTEXT');
    const small = await createGenerator(model('decomposed'), { backend: 'node', maxPositions: 12 });
    const past = await small.generate(prompt, { maxNewTokens: 5 }).catch((caught: unknown) => caught);
    expect(isKvCacheError(past) && past.code).toBe('KV_CONTEXT_EXCEEDED');
    await small.release();
  });
});
