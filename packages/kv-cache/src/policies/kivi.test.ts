import { createRng } from '@x/core';
import { attentionReference, getKernels, type KiviBits } from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { createKvMeter } from '../cache/meter';
import { isKvCacheError } from '../errors';
import { createKvPolicy } from '../policy/registry';
import type { KvCacheShape } from '../policy/types';
import { createKiviPolicy } from './kivi';
import { createKiviLayer, kiviHeldBytes } from './kivi-layer';

const shape: KvCacheShape = { numLayers: 1, numHeads: 4, numKvHeads: 2, headDim: 64 };
const { numHeads, numKvHeads, headDim: d } = shape;

function random(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.normal());
}

/** Plain asymmetric uniform quantize-dequantize of a group (KIVI's formula, float64, no packing). */
function fakeQuant(values: number[], bits: number): number[] {
  const mn = Math.min(...values);
  const mx = Math.max(...values);
  const top = 2 ** bits - 1;
  const s = (mx - mn) / top;
  return values.map((x) => (s > 0 ? Math.round(Math.min(top, Math.max(0, (x - mn) / s))) * s + mn : mn));
}

/** The TS twin: the first `kq` keys dequantized per channel (groups of 32 tokens), the first `vq` values per token. */
function twinKv(
  keys: Float32Array,
  values: Float32Array,
  total: number,
  length: number,
  kq: number,
  vq: number,
  bits: [number, number],
) {
  const key = new Float32Array(numKvHeads * length * d);
  const value = new Float32Array(numKvHeads * length * d);
  for (let g = 0; g < numKvHeads; g++) {
    for (let j = 0; j < length; j++) {
      for (let c = 0; c < d; c++) {
        key[(g * length + j) * d + c] = keys[(g * total + j) * d + c];
        value[(g * length + j) * d + c] = values[(g * total + j) * d + c];
      }
    }
    for (let group = 0; group < kq / 32; group++) {
      for (let c = 0; c < d; c++) {
        const rows = Array.from({ length: 32 }, (_, t) => (g * length + group * 32 + t) * d + c);
        const q = fakeQuant(
          rows.map((i) => key[i]),
          bits[0],
        );
        rows.forEach((i, t) => {
          key[i] = q[t];
        });
      }
    }
    for (let j = 0; j < vq; j++) {
      for (let c0 = 0; c0 < d; c0 += 32) {
        const at = (g * length + j) * d + c0;
        const q = fakeQuant(Array.from(value.subarray(at, at + 32)), bits[1]);
        value.set(q, at);
      }
    }
  }
  return { key, value };
}

function headRows(source: Float32Array, heads: number, total: number, from: number, to: number) {
  const out = new Float32Array(heads * (to - from) * d);
  for (let h = 0; h < heads; h++)
    out.set(source.subarray((h * total + from) * d, (h * total + to) * d), h * (to - from) * d);
  return out;
}

async function checkAgainstTwin(
  bits: [KiviBits, KiviBits],
  residual: number,
  prefill: number,
  steps: number,
  checkEvery = 1,
) {
  const kernels = await getKernels();
  const meter = createKvMeter();
  const layer = createKiviLayer(
    0,
    shape,
    { kernels, meter },
    {
      keyBits: bits[0],
      valueBits: bits[1],
      residualLength: residual,
    },
  );
  const total = prefill + steps;
  const keys = random(numKvHeads * total * d, 1);
  const values = random(numKvHeads * total * d, 2);
  const queries = random(numHeads * total * d, 3);
  const scale = 1 / Math.sqrt(d);
  let kq = 0;
  let kr = 0;
  let vq = 0;
  let vr = 0;
  let worst = 0;
  for (let n = 0; n < steps + 1; n++) {
    const from = n === 0 ? 0 : prefill + n - 1;
    const to = n === 0 ? prefill : prefill + n;
    layer.append({
      key: headRows(keys, numKvHeads, total, from, to),
      value: headRows(values, numKvHeads, total, from, to),
      count: to - from,
      start: from,
    });
    const out = layer.attend({
      query: headRows(queries, numHeads, total, from, to),
      queryLength: to - from,
      start: from,
      scale,
    });
    if (n === 0) {
      // Prefill attends in fp32, then packs: keys T − T mod R, values T − R.
      const twin = twinKv(keys, values, total, to, 0, 0, bits);
      const expected = attentionReference(
        {
          query: headRows(queries, numHeads, total, from, to),
          ...twin,
          numHeads,
          numKvHeads,
          queryLength: to,
          kvLength: to,
          headDim: d,
        },
        { scale, causal: true },
      );
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
      kq = prefill - (prefill % residual);
      kr = prefill % residual;
      vq = Math.max(0, prefill - residual);
      vr = prefill - vq;
    } else if (n % checkEvery !== 0 && n < steps - 2) {
      // (the twin is O(n^2): long runs check a sample of steps, the counters below still advance)
    } else {
      const twin = twinKv(keys, values, total, to, kq, vq, bits);
      const expected = attentionReference(
        {
          query: headRows(queries, numHeads, total, from, to),
          ...twin,
          numHeads,
          numKvHeads,
          queryLength: 1,
          kvLength: to,
          headDim: d,
        },
        { scale },
      );
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
    }
    if (n > 0) {
      kr++;
      vr++;
      if (kr >= residual) {
        kq += kr;
        kr = 0;
      }
      if (vr > residual) {
        vq += vr - residual;
        vr = residual;
      }
    }
    expect(layer.length(0)).toBe(to);
  }
  expect(worst).toBeLessThan(1e-4);
  // Held bytes: codes + fp32 scale/min per group + fp32 residual rows, at the nominal widths.
  const expectedBytes =
    numKvHeads * ((kq / 32) * d * (4 * bits[0] + 8) + vq * (d / 32) * (4 * bits[1] + 8) + (kr + vr) * d * 4);
  expect(layer.residentBytes()).toBe(expectedBytes);
  expect(meter.current).toBe(expectedBytes);
  return worst;
}

describe('KIVI layer', () => {
  it('4-bit: every step equals dense attention over the TS twin of the dequantized cache (prefill 70, R 32, 45 steps)', async () => {
    await checkAgainstTwin([4, 4], 32, 70, 45);
  });

  it('2-bit with R 64 across a capacity growth (prefill 250, 300 steps)', async () => {
    await checkAgainstTwin([2, 2], 64, 250, 300, 23);
  });

  it("KVTuner's mixed pairs (K4V2, K2V8) match the twin with each side on its own grid", async () => {
    await checkAgainstTwin([4, 2], 32, 40, 40);
    await checkAgainstTwin([2, 8], 32, 40, 40);
  });

  it('a multi-token step after prefill runs token by token like single steps', async () => {
    const kernels = await getKernels();
    const make = () =>
      createKiviLayer(
        0,
        shape,
        { kernels, meter: createKvMeter() },
        { keyBits: 4, valueBits: 4, residualLength: 32 },
      );
    const a = make();
    const b = make();
    const total = 50;
    const keys = random(numKvHeads * total * d, 4);
    const values = random(numKvHeads * total * d, 5);
    const queries = random(numHeads * total * d, 6);
    const feed = (layer: ReturnType<typeof make>, from: number, to: number) => {
      layer.append({
        key: headRows(keys, numKvHeads, total, from, to),
        value: headRows(values, numKvHeads, total, from, to),
        count: to - from,
        start: from,
      });
      return layer.attend({
        query: headRows(queries, numHeads, total, from, to),
        queryLength: to - from,
        start: from,
        scale: 0.2,
      });
    };
    feed(a, 0, 30);
    feed(b, 0, 30);
    const chunk = feed(a, 30, 40);
    for (let t = 30; t < 40; t++) {
      const single = feed(b, t, t + 1);
      for (let h = 0; h < numHeads; h++) {
        for (let c = 0; c < d; c++)
          expect(chunk[(h * 10 + t - 30) * d + c]).toBeCloseTo(single[h * d + c], 6);
      }
    }
    expect(a.residentBytes()).toBe(b.residentBytes());
  });

  it('packed 4-bit holds far fewer bytes than fp32 at 1k tokens', async () => {
    const kernels = await getKernels();
    const layer = createKiviLayer(
      0,
      shape,
      { kernels, meter: createKvMeter() },
      { keyBits: 4, valueBits: 4, residualLength: 128 },
    );
    const n = 1024;
    layer.append({
      key: random(numKvHeads * n * d, 7),
      value: random(numKvHeads * n * d, 8),
      count: n,
      start: 0,
    });
    layer.attend({ query: random(numHeads * n * d, 9), queryLength: n, start: 0, scale: 0.125 });
    const fp32 = 2 * numKvHeads * n * d * 4;
    expect(layer.residentBytes() / fp32).toBeLessThan(0.3);
    expect(kiviHeldBytes).toBeTypeOf('function');
  });
});

describe('KIVI policy', () => {
  it('is registered as kivi2 / kivi4 / kivi8 with the paper defaults echoed', () => {
    expect(createKvPolicy('kivi2').options).toEqual({ bits: 2, residualLength: 128 });
    expect(createKvPolicy('kivi4', { residualLength: 32 }).options).toEqual({ bits: 4, residualLength: 32 });
    expect(createKvPolicy('kivi8').name).toBe('kivi8');
  });

  it('rejects bad options and head dims that are not a multiple of 32 with typed errors', async () => {
    const codes: string[] = [];
    for (const run of [
      () => createKiviPolicy({ bits: 3 }),
      () => createKiviPolicy({ residualLength: 48 }),
      () => createKiviPolicy({ residualLength: 0 }),
      () => createKvPolicy('kivi4', { bits: 2 }),
    ]) {
      try {
        run();
      } catch (error) {
        if (isKvCacheError(error)) codes.push(error.code);
      }
    }
    expect(codes).toEqual([
      'KV_INVALID_OPTION',
      'KV_INVALID_OPTION',
      'KV_INVALID_OPTION',
      'KV_INVALID_OPTION',
    ]);
    const kernels = await getKernels();
    let code: string | undefined;
    try {
      createKiviPolicy().createCache?.({ ...shape, headDim: 16 }, { kernels, meter: createKvMeter() });
    } catch (error) {
      if (isKvCacheError(error)) code = error.code;
    }
    expect(code).toBe('KV_MODEL');
  });
});
