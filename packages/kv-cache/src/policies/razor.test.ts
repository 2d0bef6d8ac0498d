import { createRng } from '@x/core';
import { attentionReference, getKernels } from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { createKvMeter } from '../cache/meter';
import { isKvCacheError } from '../errors';
import type { KvCacheShape } from '../policy/types';
import { RAZOR_PROFILE_FORMAT, type RazorProfile } from '../profile/razor-profile';
import { createRazorPolicy } from './razor';
import { compensationBias, foldIntoMean } from './razor-compensation';

const shape: KvCacheShape = { numLayers: 1, numHeads: 4, numKvHeads: 2, headDim: 8, maxPositions: 512 };
const d = shape.headDim;

function random(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.normal());
}

function profileFor(heads: number[][], overrides: Partial<RazorProfile['fingerprint']> = {}): RazorProfile {
  return {
    format: RAZOR_PROFILE_FORMAT,
    fingerprint: {
      numLayers: 1,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 8,
      vocabSize: 100,
      weightsHash: 'x',
      ...overrides,
    },
    options: {
      blockLength: 4,
      repeats: 2,
      tokenLow: 0,
      bosId: null,
      seed: 0,
      echoRatio: 0,
      inductionRatio: 0.5,
    },
    scores: { echo: heads.map(() => [0, 0]), induction: heads.map(() => [0, 0]) },
    heads,
  };
}

function headRows(source: Float32Array, heads: number, total: number, from: number, to: number) {
  const out = new Float32Array(heads * (to - from) * d);
  for (let h = 0; h < heads; h++)
    out.set(source.subarray((h * total + from) * d, (h * total + to) * d), h * (to - from) * d);
  return out;
}

function errorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isKvCacheError(error) ? error.code : `untyped: ${String(error)}`;
  }
  return undefined;
}

describe('compensation token math', () => {
  it('folding in steps equals the plain mean of everything dropped', () => {
    const rows = random(10 * d, 1);
    const mean = new Float32Array(d);
    let held = foldIntoMean(mean, 0, rows, 0, 3, d);
    held = foldIntoMean(mean, held, rows, 3, 7, d);
    expect(held).toBe(10);
    for (let c = 0; c < d; c++) {
      let sum = 0;
      for (let r = 0; r < 10; r++) sum += rows[r * d + c];
      expect(mean[c]).toBeCloseTo(sum / 10, 6);
    }
    expect(compensationBias(1)).toBe(0);
    expect(compensationBias(12)).toBeCloseTo(Math.log(12), 12);
  });

  it('a non-retrieval head attends like n_d copies of the mean slot (Eq. 4), a retrieval head like full attention', async () => {
    const kernels = await getKernels();
    // KV head 0 is a retrieval head, KV head 1 keeps 2 sinks + comp + 5 recent.
    const policy = createRazorPolicy({ profile: profileFor([[0]]), sinks: 2, window: 5 });
    const cache = policy.createCache?.(shape, { kernels, meter: createKvMeter() });
    const layer = cache?.layers[0];
    if (!layer) throw new Error('no layer');
    const total = 30;
    const prefill = 20;
    const keys = random(2 * total * d, 2);
    const values = random(2 * total * d, 3);
    const queries = random(4 * total * d, 4);
    const scale = 0.4;
    for (let n = 0; n <= total - prefill; n++) {
      const from = n === 0 ? 0 : prefill + n - 1;
      const to = n === 0 ? prefill : prefill + n;
      layer.append({
        key: headRows(keys, 2, total, from, to),
        value: headRows(values, 2, total, from, to),
        count: to - from,
        start: from,
      });
      const query = headRows(queries, 4, total, from, to);
      const out = layer.attend({ query, queryLength: to - from, start: from, scale });
      if (n === 0) continue;
      // Direct computation: head 0 sees all `to` tokens; head 1 sees sinks 0..1, then the n_d dropped tokens
      // 2..to-7 as n_d identical copies of their mean, then the 6 newest (5 kept + this one).
      const dropped = to - 1 - 2 - 5;
      const keyList: number[][] = [];
      const valueList: number[][] = [];
      const row = (source: Float32Array, g: number, j: number) =>
        Array.from(source.subarray((g * total + j) * d, (g * total + j + 1) * d));
      const kMean = new Array(d).fill(0);
      const vMean = new Array(d).fill(0);
      for (let j = 2; j < 2 + dropped; j++) {
        for (let c = 0; c < d; c++) {
          kMean[c] += row(keys, 1, j)[c] / dropped;
          vMean[c] += row(values, 1, j)[c] / dropped;
        }
      }
      for (let j = 0; j < 2; j++) {
        keyList.push(row(keys, 1, j));
        valueList.push(row(values, 1, j));
      }
      for (let m = 0; m < dropped; m++) {
        keyList.push(kMean);
        valueList.push(vMean);
      }
      for (let j = to - 6; j < to; j++) {
        keyList.push(row(keys, 1, j));
        valueList.push(row(values, 1, j));
      }
      const head1 = attentionReference(
        {
          query: query.subarray(2 * d, 4 * d),
          key: Float32Array.from(keyList.flat()),
          value: Float32Array.from(valueList.flat()),
          numHeads: 2,
          numKvHeads: 1,
          queryLength: 1,
          kvLength: keyList.length,
          headDim: d,
        },
        { scale },
      );
      const head0 = attentionReference(
        {
          query: query.subarray(0, 2 * d),
          key: headRows(keys, 1, total, 0, to),
          value: headRows(values, 1, total, 0, to),
          numHeads: 2,
          numKvHeads: 1,
          queryLength: 1,
          kvLength: to,
          headDim: d,
        },
        { scale },
      );
      for (let i = 0; i < 2 * d; i++) {
        expect(out[i]).toBeCloseTo(head0[i], 4);
        expect(out[2 * d + i]).toBeCloseTo(head1[i], 4);
      }
    }
    expect(layer.length(0)).toBe(total);
    expect(layer.length(1)).toBe(2 + 1 + 5);
    // The compensation slot carries the newest absorbed position.
    expect(Array.from(layer.positions(1))).toEqual([
      0,
      1,
      total - 6,
      total - 5,
      total - 4,
      total - 3,
      total - 2,
      total - 1,
    ]);
  });
});

describe('razor policy options', () => {
  it('rejects window 0, a missing profile, a budget over the context and a profile of another shape', async () => {
    const kernels = await getKernels();
    const context = { kernels, meter: createKvMeter() };
    expect(errorCode(() => createRazorPolicy({ profile: profileFor([[0]]), window: 0 }))).toBe(
      'KV_INVALID_OPTION',
    );
    expect(errorCode(() => createRazorPolicy({}))).toBe('KV_INVALID_OPTION');
    expect(errorCode(() => createRazorPolicy({ profile: profileFor([[0]]), speed: 1 }))).toBe(
      'KV_INVALID_OPTION',
    );
    expect(
      errorCode(() =>
        createRazorPolicy({ profile: profileFor([[0]]), window: 600 }).createCache?.(shape, context),
      ),
    ).toBe('KV_BUDGET_EXCEEDS_CONTEXT');
    expect(
      errorCode(() =>
        createRazorPolicy({ profile: profileFor([[0], [1]], { numLayers: 2 }) }).createCache?.(
          shape,
          context,
        ),
      ),
    ).toBe('KV_PROFILE_MISMATCH');
    expect(
      errorCode(() =>
        createRazorPolicy({ profile: profileFor([[0]], { headDim: 16 }) }).createCache?.(shape, context),
      ),
    ).toBe('KV_PROFILE_MISMATCH');
    expect(errorCode(() => createRazorPolicy({ profile: { ...profileFor([[0]]), heads: [[7]] } }))).toBe(
      'KV_PROFILE_INVALID',
    );
    expect(errorCode(() => createRazorPolicy({ profile: '/nonexistent/razor-heads.json' }))).toBe(
      'KV_PROFILE_INVALID',
    );
    expect(createRazorPolicy({ profile: profileFor([[1]]) }).options).toEqual({
      profile: '<inline>',
      heads: [[1]],
      sinks: 4,
      window: 251,
      compensation: true,
    });
  });
});
