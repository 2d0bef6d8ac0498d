import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BackendName, loadBackend, readModel } from '@x/core';
import { getKernels } from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { createSnapKvPolicy } from '../src/policies/snapkv';
import type { SnapKvStockCache } from '../src/policies/snapkv-stock-cache';
import type { KvCache, KvPolicy } from '../src/policy/types';
import { createGenerator } from '../src/runtime/create-generator';
import type { Engine } from '../src/runtime/engine';
import { createSplitEngine } from '../src/runtime/split-engine';
import { planSplit } from '../src/runtime/split-plan';
import { createStockEngine } from '../src/runtime/stock-engine';
import { withStockQueryOutputs } from '../src/runtime/stock-queries';

// SnapKV in stock mode keeps, in every layer and KV head, the positions split mode's `afterPrefill` keeps (the
// queries come from the graph's own q projections, rotated in TS), gathered into a uniform past.
const modelDir = fileURLToPath(new URL('../../reference-lm/model', import.meta.url));
const golden = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../reference-lm/golden.json', import.meta.url)), 'utf8'),
) as { prompts: { name: string; inputIds: number[] }[] };
const prompt = golden.prompts.find((entry) => entry.name === 'code')?.inputIds ?? [];
const model = await readModel(`${modelDir}/onnx/model.onnx`);
const options = { window: 16, capacity: 96 };

/** Greedy tokens of an engine run, and the run's slot count. */
async function greedy(engine: Engine, count: number): Promise<{ tokens: number[]; slots: number }> {
  const run = engine.begin();
  const tokens: number[] = [];
  let pending = prompt;
  let start = 0;
  for (let i = 0; i < count; i++) {
    const logits = await run.forward(pending, start, false);
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
    start += pending.length;
    tokens.push(best);
    pending = [best];
  }
  const slots = run.slots();
  run.dispose();
  return { tokens, slots };
}

describe.each(['node', 'web'] as BackendName[])(
  'SnapKV in stock mode, reference LM on onnxruntime-%s',
  (name) => {
    it('keeps the same positions per layer and KV head as split mode; greedy output equal', async () => {
      const backend = await loadBackend(name);
      const count = name === 'node' ? 8 : 3;
      const policy = createSnapKvPolicy(options);
      let stockCache: SnapKvStockCache | undefined;
      let splitCache: KvCache | undefined;
      const stockPolicy: KvPolicy = {
        ...policy,
        createStockCache(shape) {
          stockCache = policy.createStockCache?.(shape) as SnapKvStockCache;
          return stockCache;
        },
      };
      const splitPolicy: KvPolicy = {
        ...policy,
        createCache(shape, context) {
          splitCache = policy.createCache?.(shape, context);
          if (!splitCache) throw new Error('no split cache');
          return splitCache;
        },
      };
      const augmented = withStockQueryOutputs(model);
      const stock = createStockEngine(await backend.createSession(augmented.model), stockPolicy, {
        queries: augmented.source,
      });
      const split = await createSplitEngine(planSplit(model), backend, splitPolicy, await getKernels(), {});
      const a = await greedy(stock, count);
      const b = await greedy(split, count);
      expect(a.tokens).toEqual(b.tokens);
      expect(a.slots).toBe(options.capacity + count - 1);
      expect(b.slots).toBe(a.slots);
      let differentHeads = 0;
      for (let l = 0; l < 9; l++) {
        for (let h = 0; h < 4; h++) {
          const kept = Array.from(stockCache?.positions(l, h) ?? []);
          expect(kept, `layer ${l} head ${h}`).toEqual(Array.from(splitCache?.layers[l].positions(h) ?? []));
          if (kept.join() !== Array.from(stockCache?.positions(l, 0) ?? []).join()) differentHeads++;
        }
      }
      // Heads really keep different tokens (the uniform past is per-head storage).
      expect(differentHeads).toBeGreaterThan(0);
      for (const engine of [stock, split]) await engine.release();
    });
  },
);

it('createGenerator runs SnapKV in stock mode on a model folder (it adds the query outputs itself)', async () => {
  const policy = createSnapKvPolicy(options);
  const stock = await createGenerator(modelDir, { mode: 'stock', policy });
  const split = await createGenerator(modelDir, { mode: 'split', policy });
  const a = await stock.generate(prompt, { maxNewTokens: 4 });
  const b = await split.generate(prompt, { maxNewTokens: 4 });
  expect(prompt.length).toBeGreaterThan(options.capacity);
  expect(a.tokens).toEqual(b.tokens);
  expect(a.slots).toBe(options.capacity + 3);
  for (const generator of [stock, split]) await generator.release();
});
