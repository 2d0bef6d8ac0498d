import { createRng, createTensor } from '@x/core';
import { attentionReference, getKernels } from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { createKvMeter } from '../cache/meter';
import { isKvCacheError } from '../errors';
import { createKvPolicy, listKvPolicies } from '../policy/registry';
import type { KvCacheShape, StockLayerKv } from '../policy/types';
import { createFullPolicy } from './full';
import { createSnapKvPolicy } from './snapkv';
import { poolScores, scoreSnapKvPrefix } from './snapkv-scores';
import { createStreamingLlmPolicy, selectStreamingSlots } from './streaming-llm';

const shape: KvCacheShape = { numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8 };

function random(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.next() * 2 - 1);
}

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('full policy (split)', () => {
  it('attends like dense causal attention over the whole history, step by step', async () => {
    const kernels = await getKernels();
    const meter = createKvMeter();
    const cache = createFullPolicy().createCache?.(shape, { kernels, meter });
    const layer = cache?.layers[1];
    if (!layer) throw new Error('no layer');
    const { numHeads, numKvHeads, headDim: d } = shape;
    const total = 7;
    const keys = random(numKvHeads * total * d, 1);
    const values = random(numKvHeads * total * d, 2);
    const queries = random(numHeads * total * d, 3);
    // rows of head-major [H, total, D] for steps [0,5) then 5, 6
    const slice = (source: Float32Array, heads: number, from: number, to: number) => {
      const out = new Float32Array(heads * (to - from) * d);
      for (let h = 0; h < heads; h++)
        out.set(source.subarray((h * total + from) * d, (h * total + to) * d), h * (to - from) * d);
      return out;
    };
    const steps = [
      [0, 5],
      [5, 6],
      [6, 7],
    ];
    for (const [from, to] of steps) {
      const count = to - from;
      layer.append({
        key: slice(keys, numKvHeads, from, to),
        value: slice(values, numKvHeads, from, to),
        count,
        start: from,
      });
      const got = layer.attend({
        query: slice(queries, numHeads, from, to),
        queryLength: count,
        start: from,
        scale: 0.3,
      });
      const want = attentionReference(
        {
          query: slice(queries, numHeads, from, to),
          key: slice(keys, numKvHeads, 0, to),
          value: slice(values, numKvHeads, 0, to),
          numHeads,
          numKvHeads,
          queryLength: count,
          kvLength: to,
          headDim: d,
        },
        { scale: 0.3, causal: true },
      );
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    }
    expect(Array.from(layer.positions(0))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(layer.residentBytes()).toBe(total * numKvHeads * 2 * d * 4);
    expect(cache?.bytes()).toEqual({
      resident: total * numKvHeads * 2 * d * 4,
      peak: total * numKvHeads * 2 * d * 4,
    });
  });
});

describe('streaming policy', () => {
  it('keeps sinks and the recent window with their original positions', () => {
    expect(selectStreamingSlots(5, 2, 3)).toBeUndefined();
    expect(Array.from(selectStreamingSlots(9, 2, 3) ?? [])).toEqual([0, 1, 6, 7, 8]);
  });

  it('stock cache gathers the same slots in every layer and counts present in the peak', () => {
    const policy = createStreamingLlmPolicy({ sinks: 1, window: 2 });
    const stock = policy.createStockCache?.(shape);
    if (!stock) throw new Error('no stock cache');
    const layerOf = (length: number, seed: number): StockLayerKv => ({
      key: createTensor('float32', [1, 2, length, 8], random(2 * length * 8, seed)),
      value: createTensor('float32', [1, 2, length, 8], random(2 * length * 8, seed + 1)),
    });
    const present = [layerOf(5, 10), layerOf(5, 20)];
    stock.update(present, 0, 5);
    expect(stock.length()).toBe(3);
    expect(Array.from(stock.positions())).toEqual([0, 3, 4]);
    const past = stock.past();
    const source = present[1].key.data as Float32Array;
    const kept = past[1].key.data as Float32Array;
    // head 1, slot 1 of the past = head 1, slot 3 of present
    expect(Array.from(kept.subarray((3 + 1) * 8, (3 + 2) * 8))).toEqual(
      Array.from(source.subarray((5 + 3) * 8, (5 + 4) * 8)),
    );
    const bytes = stock.bytes();
    expect(bytes.resident).toBe(2 * 2 * 2 * 3 * 8 * 4);
    expect(bytes.peak).toBe(2 * 2 * 2 * 5 * 8 * 4);
    stock.update([layerOf(4, 30), layerOf(4, 40)], 5, 1);
    expect(Array.from(stock.positions())).toEqual([0, 4, 5]);
  });

  it('rejects window 0 and a budget beyond the context with typed errors', () => {
    const zero = catchError(() => createStreamingLlmPolicy({ window: 0 }));
    expect(isKvCacheError(zero) && zero.code).toBe('KV_INVALID_OPTION');
    const policy = createStreamingLlmPolicy({ sinks: 4, window: 100 });
    const big = catchError(() => policy.createStockCache?.({ ...shape, maxPositions: 64 }));
    expect(isKvCacheError(big) && big.code).toBe('KV_BUDGET_EXCEEDS_CONTEXT');
  });
});

describe('snapkv', () => {
  it('pools like torch avg_pool1d with zero padding counted', () => {
    expect(Array.from(poolScores(Float64Array.of(5, 0, 0, 0, 0, 0), 5, 'avg'))).toEqual([1, 1, 1, 0, 0, 0]);
    expect(Array.from(poolScores(Float64Array.of(1, 3, 2), 3, 'max'))).toEqual([3, 3, 3]);
  });

  it('votes are attention mass: one head, one query that only sees slot 2 strongly', () => {
    const d = 2;
    const key = Float32Array.of(0, 0, 0, 0, 10, 0, 0, 0, 0, 0);
    const scores = scoreSnapKvPrefix({
      query: Float32Array.of(0, 0, 1, 0),
      queryLength: 2,
      numHeads: 1,
      headDim: d,
      scale: 1,
      key,
      length: 5,
      kvHead: 0,
      group: 1,
      window: 1,
      kernelSize: 1,
      pooling: 'avg',
    });
    expect(scores.length).toBe(4);
    const sum = Math.exp(10) + 4;
    expect(scores[2]).toBeCloseTo(Math.exp(10) / sum, 12);
    expect(scores[0]).toBeCloseTo(1 / sum, 12);
  });

  it('keeps capacity slots per head after prefill: the window plus the best-voted prefix', async () => {
    const kernels = await getKernels();
    const meter = createKvMeter();
    const single = { numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 4 };
    const cache = createSnapKvPolicy({ window: 2, capacity: 4, kernelSize: 1 }).createCache?.(single, {
      kernels,
      meter,
    });
    const layer = cache?.layers[0];
    if (!layer) throw new Error('no layer');
    const length = 8;
    const key = new Float32Array(length * 4);
    key[3 * 4] = 8; // slot 3 and 5 align with the window's queries
    key[5 * 4] = 6;
    const query = new Float32Array(2 * length * 4);
    for (const h of [0, 1]) for (const t of [6, 7]) query[(h * length + t) * 4] = 1;
    const queries = { query, queryLength: length, start: 0, scale: 1 };
    layer.append({ key, value: random(length * 4, 5), count: length, start: 0 });
    layer.attend(queries);
    layer.afterPrefill?.(queries);
    expect(Array.from(layer.positions(0))).toEqual([3, 5, 6, 7]);
    expect(cache?.bytes().peak).toBe(length * 2 * 4 * 4);
    expect(cache?.bytes().resident).toBe(4 * 2 * 4 * 4);
  });

  it('runs in both modes and checks capacity against the window', () => {
    expect(createSnapKvPolicy().modes).toEqual(['stock', 'split']);
    expect(createSnapKvPolicy().stockNeedsQueries).toBe(true);
    const bad = catchError(() => createSnapKvPolicy({ window: 8, capacity: 8 }));
    expect(isKvCacheError(bad) && bad.code).toBe('KV_INVALID_OPTION');
  });
});

describe('registry', () => {
  it('creates known policies and gives typed errors for unknown and not-landed ones', () => {
    expect(createKvPolicy('streaming', { window: 8 }).options).toEqual({ sinks: 4, window: 8 });
    const unknown = catchError(() => createKvPolicy('h2o'));
    expect(isKvCacheError(unknown) && unknown.code).toBe('KV_UNKNOWN_POLICY');
    const names = listKvPolicies().map((entry) => entry.name);
    expect(names).toEqual(
      expect.arrayContaining(['full', 'streaming', 'snapkv', 'razor', 'kivi2', 'kivi4', 'kvtuner']),
    );
    for (const entry of listKvPolicies().filter((policy) => !policy.available)) {
      const error = catchError(() => createKvPolicy(entry.name));
      expect(isKvCacheError(error) && error.code).toBe('KV_POLICY_UNAVAILABLE');
    }
    const badOption = catchError(() => createKvPolicy('full', { window: 3 }));
    expect(isKvCacheError(badOption) && badOption.code).toBe('KV_INVALID_OPTION');
  });
});
