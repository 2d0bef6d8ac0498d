/**
 * Decode-step cost of one layer's cache at long context, the cache's own work only (no ORT): `append` + `attend` of
 * one token, full fp32 cache (`createFullLayer`: dense attention on @x/kernels-wasm) vs the KIVI packed cache
 * (`createKiviLayer`: append to the fp32 window, `kiviAttention` on the packed bytes, flush). Same process,
 * alternating, median of `--steps` steps after a prefill of `--context` tokens. JSON lines on stdout.
 *
 * Usage: node --conditions=@x/source --import tsx bench/kivi-decode.ts [--context 4096] [--steps 64]
 */
import { parseArgs } from 'node:util';
import { createRng } from '@x/core';
import { getKernels, type KiviBits } from '@x/kernels-wasm';
import { createKvMeter } from '../src/cache/meter';
import { createFullLayer } from '../src/policies/full';
import { createKiviLayer } from '../src/policies/kivi-layer';
import type { KvCacheShape, KvLayerCache } from '../src/policy/types';

const { values } = parseArgs({ options: { context: { type: 'string' }, steps: { type: 'string' } } });
const context = Number(values.context ?? 4096);
const steps = Number(values.steps ?? 64);
const kernels = await getKernels();
const shapes: Record<string, KvCacheShape> = {
  'reference (8 q / 4 kv heads, d 32)': { numLayers: 1, numHeads: 8, numKvHeads: 4, headDim: 32 },
  'Llama-3-8B layer (32 q / 8 kv heads, d 128)': { numLayers: 1, numHeads: 32, numKvHeads: 8, headDim: 128 },
};

function random(length: number, rng: ReturnType<typeof createRng>): Float32Array {
  return Float32Array.from({ length }, () => rng.normal());
}

for (const [label, shape] of Object.entries(shapes)) {
  const { numHeads, numKvHeads, headDim: d } = shape;
  const rng = createRng(1);
  const prefill = {
    key: random(numKvHeads * context * d, rng),
    value: random(numKvHeads * context * d, rng),
  };
  const prefillQuery = random(numHeads * 32 * d, rng);
  const make: Record<string, () => KvLayerCache> = {
    full: () => createFullLayer(0, shape, { kernels, meter: createKvMeter() }),
  };
  for (const bits of [4, 2] as KiviBits[]) {
    make[`kivi${bits}`] = () =>
      createKiviLayer(
        0,
        shape,
        { kernels, meter: createKvMeter() },
        { keyBits: bits, valueBits: bits, residualLength: 128 },
      );
  }
  const layers = Object.fromEntries(
    Object.entries(make).map(([name, create]) => {
      const layer = create();
      layer.append({ ...prefill, count: context, start: 0 });
      // Prefill attention of the last 32 rows only (the cost measured here is decode).
      const queries = new Float32Array(numHeads * context * d);
      for (let h = 0; h < numHeads; h++)
        queries.set(prefillQuery.subarray(h * 32 * d, (h + 1) * 32 * d), (h * context + context - 32) * d);
      layer.attend({ query: queries, queryLength: context, start: 0, scale: 1 / Math.sqrt(d) });
      return [name, layer];
    }),
  );
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(layers).map((name) => [name, []]));
  for (let step = 0; step < steps; step++) {
    const key = random(numKvHeads * d, rng);
    const value = random(numKvHeads * d, rng);
    const query = random(numHeads * d, rng);
    for (const [name, layer] of Object.entries(layers)) {
      const began = performance.now();
      layer.append({ key, value, count: 1, start: context + step });
      layer.attend({ query, queryLength: 1, start: context + step, scale: 1 / Math.sqrt(d) });
      times[name].push(performance.now() - began);
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  for (const [name, layer] of Object.entries(layers)) {
    process.stdout.write(
      `${JSON.stringify({
        kind: 'kivi-decode',
        shape: label,
        context,
        policy: name,
        medianMs: median(times[name]),
        residentBytes: layer.residentBytes(),
        speedupVsFull: median(times.full) / median(times[name]),
      })}\n`,
    );
  }
}
