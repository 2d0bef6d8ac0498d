/**
 * Decode speed at long context, full fp32 cache vs KIVI's packed cache. Two parts, JSON lines on stdout:
 *
 * - `cache` (`kind: 'kivi-decode'`): one layer's cache work only (no ORT): `append` + `attend` of one token, full
 *   fp32 cache (`createFullLayer`: dense attention on @x/kernels-wasm) vs the KIVI packed cache (`createKiviLayer`:
 *   append to the fp32 window, `kiviAttention` on the packed bytes, flush). Same process, alternating, median of
 *   `--steps` steps after a prefill of `--context` tokens, per repeat.
 * - `e2e` (`kind: 'kivi-decode-e2e'`): the issue's acceptance row, "packed 4-bit cache decode tokens/s >= fp32 full
 *   cache in split mode" at 4k: the reference model (packages/reference-lm) in split mode on onnxruntime-node, a
 *   `--context − --new`-token held-out prompt, `--new` greedy tokens, `full` and `kivi4` alternating (the order
 *   flips every repeat), one generator per policy reused across repeats.
 *
 * - `modes` (`kind: 'kv-modes'`): KV bytes (resident and peak) and decode tokens/s of every policy in each mode it
 *   runs in, the reference model on onnxruntime-node, a `--bytes-context`-token held-out prompt and 8 greedy tokens
 *   (stock SnapKV through `withStockQueryOutputs`; Razor and KVTuner with the profiles kv-quality.ts wrote to
 *   `--profiles-dir`, skipped when absent). `sameTokensAsSplit` compares the two modes' greedy tokens.
 *
 * Every repeat row carries wall and CPU seconds (`process.cpuUsage()`) and the load average; a `summary` row per
 * policy gives the medians over `--repeats`. Run heavy runs under the shared lock:
 *   flock /tmp/x-bench.lock node --conditions=@x/source --import tsx bench/kivi-decode.ts [--only cache,e2e,modes]
 *     [--context 4096] [--steps 32] [--new 33] [--repeats 3] [--bytes-context 1024] [--profiles-dir DIR]
 */
import { readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng, loadBackend, loadTokenizer, readModel } from '@x/core';
import { getKernels, type KiviBits } from '@x/kernels-wasm';
import { createKvMeter } from '../src/cache/meter';
import { createFullLayer } from '../src/policies/full';
import { createKiviLayer } from '../src/policies/kivi-layer';
import { createKvPolicy } from '../src/policy/registry';
import type { KvCacheShape, KvLayerCache, KvPolicy } from '../src/policy/types';
import { loadKvTunerProfile } from '../src/profile/kvtuner-profile';
import { loadRazorProfile } from '../src/profile/razor-profile';
import { createGenerator } from '../src/runtime/create-generator';
import type { Engine } from '../src/runtime/engine';
import { createSplitEngine } from '../src/runtime/split-engine';
import { planSplit } from '../src/runtime/split-plan';
import { createStockEngine } from '../src/runtime/stock-engine';
import { withStockQueryOutputs } from '../src/runtime/stock-queries';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    context: { type: 'string' },
    steps: { type: 'string' },
    new: { type: 'string' },
    repeats: { type: 'string' },
    'bytes-context': { type: 'string' },
    'profiles-dir': { type: 'string' },
  },
});
const only = new Set((values.only ?? 'cache,e2e,modes').split(','));
const context = Number(values.context ?? 4096);
const steps = Number(values.steps ?? 32);
const newTokens = Number(values.new ?? 33);
const repeats = Number(values.repeats ?? 3);
const emit = (row: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(row)}\n`);
const median = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const load = () => loadavg().map((value) => Math.round(value * 100) / 100);

/** Runs `body`, returning its result with wall and CPU seconds. */
async function measured<T>(body: () => Promise<T> | T): Promise<{ value: T; wallS: number; cpuS: number }> {
  const cpu = process.cpuUsage();
  const began = performance.now();
  const value = await body();
  const used = process.cpuUsage(cpu);
  return { value, wallS: (performance.now() - began) / 1000, cpuS: (used.user + used.system) / 1e6 };
}

function random(length: number, rng: ReturnType<typeof createRng>): Float32Array {
  return Float32Array.from({ length }, () => rng.normal());
}

if (only.has('cache')) {
  const kernels = await getKernels();
  const shapes: Record<string, KvCacheShape> = {
    'reference (8 q / 4 kv heads, d 32)': { numLayers: 1, numHeads: 8, numKvHeads: 4, headDim: 32 },
    'Llama-3-8B layer (32 q / 8 kv heads, d 128)': {
      numLayers: 1,
      numHeads: 32,
      numKvHeads: 8,
      headDim: 128,
    },
  };
  for (const [label, shape] of Object.entries(shapes)) {
    const { numHeads, numKvHeads, headDim: d } = shape;
    const perRepeat: Record<string, number[]> = {};
    const resident: Record<string, number> = {};
    for (let repeat = 0; repeat < repeats; repeat++) {
      const rng = createRng(1 + repeat);
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
      const layers = Object.entries(make).map(([name, create]) => {
        const layer = create();
        layer.append({ ...prefill, count: context, start: 0 });
        // Prefill attention of the last 32 rows only (the cost measured here is decode).
        const queries = new Float32Array(numHeads * context * d);
        for (let h = 0; h < numHeads; h++)
          queries.set(prefillQuery.subarray(h * 32 * d, (h + 1) * 32 * d), (h * context + context - 32) * d);
        layer.attend({ query: queries, queryLength: context, start: 0, scale: 1 / Math.sqrt(d) });
        return [name, layer] as const;
      });
      const times: Record<string, number[]> = Object.fromEntries(layers.map(([name]) => [name, []]));
      const { wallS, cpuS } = await measured(() => {
        for (let step = 0; step < steps; step++) {
          const key = random(numKvHeads * d, rng);
          const value = random(numKvHeads * d, rng);
          const query = random(numHeads * d, rng);
          for (const [name, layer] of layers) {
            const began = performance.now();
            layer.append({ key, value, count: 1, start: context + step });
            layer.attend({ query, queryLength: 1, start: context + step, scale: 1 / Math.sqrt(d) });
            times[name].push(performance.now() - began);
          }
        }
      });
      for (const [name, layer] of layers) {
        (perRepeat[name] ??= []).push(median(times[name]));
        resident[name] = layer.residentBytes();
        (layer as { dispose?: () => void }).dispose?.();
      }
      emit({
        kind: 'kivi-decode',
        shape: label,
        context,
        repeat,
        medianMs: Object.fromEntries(layers.map(([name]) => [name, median(times[name])])),
        wallS,
        cpuS,
        loadavg: load(),
      });
    }
    for (const [name, list] of Object.entries(perRepeat)) {
      emit({
        kind: 'kivi-decode-summary',
        shape: label,
        context,
        policy: name,
        medianMs: median(list),
        repeats: list,
        residentBytes: resident[name],
        speedupVsFull: median(perRepeat.full) / median(list),
      });
    }
  }
}

if (only.has('e2e')) {
  const referenceDir = fileURLToPath(new URL('../../reference-lm/', import.meta.url));
  const modelDir = `${referenceDir}model`;
  const tokenizer = await loadTokenizer(modelDir);
  const heldout = tokenizer.encode(await readFile(`${referenceDir}data/heldout.txt`, 'utf8'), {
    addSpecialTokens: false,
  });
  const prompt = heldout.slice(250000, 250000 + context - newTokens);
  const backend = await loadBackend('node');
  const model = await readModel(`${modelDir}/onnx/model.onnx`);
  const names = ['full', 'kivi4'] as const;
  const generators = Object.fromEntries(
    await Promise.all(
      names.map(
        async (name) =>
          [
            name,
            await createGenerator(model, {
              mode: 'split',
              backend,
              policy: createKvPolicy(name),
              maxPositions: context,
            }),
          ] as const,
      ),
    ),
  );
  const rates: Record<string, number[]> = { full: [], kivi4: [] };
  const outputs: Record<string, number[]> = {};
  for (let repeat = 0; repeat < repeats; repeat++) {
    const order = repeat % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const {
        value: result,
        wallS,
        cpuS,
      } = await measured(() => generators[name].generate(prompt, { maxNewTokens: newTokens }));
      rates[name].push(result.decodeTokensPerSecond);
      outputs[name] = result.tokens;
      emit({
        kind: 'kivi-decode-e2e',
        model: 'reference-lm',
        mode: 'split',
        backend: 'node',
        context,
        prompt: prompt.length,
        newTokens,
        policy: name,
        repeat,
        decodeTokensPerSecond: result.decodeTokensPerSecond,
        prefillS: result.prefillMs / 1000,
        kvResidentBytes: result.kvBytes.resident,
        kvPeakBytes: result.kvBytes.peak,
        wallS,
        cpuS,
        loadavg: load(),
      });
    }
  }
  for (const name of names) {
    emit({
      kind: 'kivi-decode-e2e-summary',
      context,
      policy: name,
      medianDecodeTokensPerSecond: median(rates[name]),
      runs: rates[name],
      ratioVsFull: median(rates[name]) / median(rates.full),
      sameTokensAsFull: outputs[name].every((token, i) => token === outputs.full[i]),
    });
  }
  for (const generator of Object.values(generators)) await generator.release();
}

if (only.has('modes')) {
  const referenceDir = fileURLToPath(new URL('../../reference-lm/', import.meta.url));
  const modelDir = `${referenceDir}model`;
  const tokenizer = await loadTokenizer(modelDir);
  const heldout = tokenizer.encode(await readFile(`${referenceDir}data/heldout.txt`, 'utf8'), {
    addSpecialTokens: false,
  });
  const length = Number(values['bytes-context'] ?? 1024);
  const prompt = heldout.slice(20000, 20000 + length);
  const backend = await loadBackend('node');
  const kernels = await getKernels();
  const model = await readModel(`${modelDir}/onnx/model.onnx`);
  const profilesDir = values['profiles-dir'] ?? join(tmpdir(), 'x-kv-quality');
  const razor = await loadRazorProfile(join(profilesDir, 'razor-heads.json'), { model }).catch(
    () => undefined,
  );
  const kvtuner = await loadKvTunerProfile(join(profilesDir, 'kvtuner.json'), { model }).catch(
    () => undefined,
  );
  const policies: [string, () => KvPolicy][] = [
    ['full', () => createKvPolicy('full')],
    ['streaming (sinks 4, window 252)', () => createKvPolicy('streaming', { window: 252 })],
    ['snapkv (capacity 256, window 32)', () => createKvPolicy('snapkv', { capacity: 256 })],
    ['kivi4', () => createKvPolicy('kivi4')],
    ['kivi2', () => createKvPolicy('kivi2')],
  ];
  if (kvtuner)
    policies.push([
      `kvtuner (${kvtuner.averageBits.toFixed(2)} bits)`,
      () => createKvPolicy('kvtuner', { profile: kvtuner }),
    ]);
  if (razor)
    policies.push(['razor (window 123)', () => createKvPolicy('razor', { profile: razor, window: 123 })]);
  const stockModel = withStockQueryOutputs(model);
  const stockSession = await backend.createSession(stockModel.model);
  const splitPlan = planSplit(model);
  const newTokens = 8;
  for (const [label, make] of policies) {
    const tokensByMode: Record<string, number[]> = {};
    for (const mode of ['split', 'stock'] as const) {
      const policy = make();
      if (!policy.modes.includes(mode)) continue;
      const engine: Engine =
        mode === 'stock'
          ? createStockEngine(stockSession, policy, { queries: stockModel.source, maxPositions: 2048 })
          : await createSplitEngine(splitPlan, backend, policy, kernels, { maxPositions: 2048 });
      const { value, wallS, cpuS } = await measured(async () => {
        const run = engine.begin();
        const tokens: number[] = [];
        let pending: number[] = prompt;
        let start = 0;
        let decodeMs = 0;
        for (let i = 0; i < newTokens; i++) {
          const began = performance.now();
          const logits = await run.forward(pending, start, false);
          if (i > 0) decodeMs += performance.now() - began;
          let best = 0;
          for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
          start += pending.length;
          tokens.push(best);
          pending = [best];
        }
        const bytes = run.bytes();
        const slots = run.slots();
        run.dispose();
        return { tokens, bytes, slots, decodeTokensPerSecond: ((newTokens - 1) * 1000) / decodeMs };
      });
      tokensByMode[mode] = value.tokens;
      emit({
        kind: 'kv-modes',
        model: 'reference-lm',
        backend: 'node',
        prompt: prompt.length,
        newTokens,
        policy: label,
        mode,
        slots: value.slots,
        residentBytes: value.bytes.resident,
        peakBytes: value.bytes.peak,
        decodeTokensPerSecond: value.decodeTokensPerSecond,
        sameTokensAsSplit:
          mode === 'stock' && tokensByMode.split
            ? value.tokens.every((t, i) => t === tokensByMode.split[i])
            : undefined,
        wallS,
        cpuS,
        loadavg: load(),
      });
      if (mode === 'split') await engine.release();
    }
  }
  await stockSession.release();
}
