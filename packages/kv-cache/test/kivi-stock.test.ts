import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BackendName, loadBackend, readModel } from '@x/core';
import { getKernels } from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { createFullPolicy } from '../src/policies/full';
import { createKiviPolicy } from '../src/policies/kivi';
import { createKvTunerPolicy } from '../src/policies/kvtuner';
import type { KvPolicy } from '../src/policy/types';
import { computeModelFingerprint } from '../src/profile/fingerprint';
import { KVTUNER_PROFILE_FORMAT } from '../src/profile/kvtuner-profile';
import { createGenerator } from '../src/runtime/create-generator';
import type { Engine } from '../src/runtime/engine';
import { createSplitEngine } from '../src/runtime/split-engine';
import { planSplit } from '../src/runtime/split-plan';
import { createStockEngine } from '../src/runtime/stock-engine';

// KIVI / KVTuner in stock mode attend over the same quantized values as split mode (dequantized codes + the fp32
// window + this step's rows in fp32), so teacher-forced logits must agree to float tolerance, and differ from the
// full cache's by far more (the quantization acts).
const modelDir = fileURLToPath(new URL('../../reference-lm/model', import.meta.url));
const golden = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../reference-lm/golden.json', import.meta.url)), 'utf8'),
) as { prompts: { name: string; inputIds: number[]; greedyIds: number[] }[] };
const code = golden.prompts.find((prompt) => prompt.name === 'code');
if (!code) throw new Error('golden.json has no "code" prompt');
const model = await readModel(`${modelDir}/onnx/model.onnx`);

/** Per-step decode logits (prefill, then the continuation fed one token at a time). */
async function teacherForced(engine: Engine, prompt: number[], continuation: number[]) {
  const run = engine.begin();
  const rows = [await run.forward(prompt, 0, false)];
  for (const [i, token] of continuation.entries())
    rows.push(await run.forward([token], prompt.length + i, false));
  const bytes = run.bytes();
  run.dispose();
  return { rows: rows.map((row) => row.slice()), bytes };
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  for (const [i, row] of a.entries())
    for (let j = 0; j < row.length; j++) worst = Math.max(worst, Math.abs(row[j] - b[i][j]));
  return worst;
}

/** KVTuner's mixed pairs (the narrower side nested in a wider container) on the reference model's 9 layers. */
function mixedProfile(): Record<string, unknown> {
  const pairs = [
    [2, 4],
    [4, 2],
    [8, 2],
    [2, 8],
    [4, 4],
    [2, 2],
    [4, 8],
    [8, 4],
    [4, 2],
  ];
  return {
    format: KVTUNER_PROFILE_FORMAT,
    fingerprint: computeModelFingerprint(model),
    options: { residualLength: 32 },
    layers: pairs.map(([keyBits, valueBits]) => ({ keyBits, valueBits })),
  };
}

describe.each(['node', 'web'] as BackendName[])(
  'KIVI and KVTuner in stock mode, reference LM on onnxruntime-%s',
  (name) => {
    // The 255-token "code" prompt: R 32 leaves 31 keys and 32 values fp32 after prefill; the continuation crosses a key
    // flush (position 256) and shifts the value window every step. onnxruntime-web is ~5x slower: fewer steps.
    const steps = name === 'node' ? 8 : 4;
    const policies: [string, () => KvPolicy][] = [
      ['kivi2', () => createKiviPolicy({ bits: 2, residualLength: 32 })],
      ['kvtuner (mixed pairs)', () => createKvTunerPolicy({ profile: mixedProfile() })],
    ];
    it.each(policies)(
      '%s: teacher-forced logits equal split mode to 2e-4; resident bytes equal split mode',
      async (_label, make) => {
        const backend = await loadBackend(name);
        const kernels = await getKernels();
        const prompt = code.inputIds;
        const continuation = code.greedyIds.slice(0, steps);
        const stock = createStockEngine(await backend.createSession(model), make(), {
          numHeads: 8,
          maxPositions: 2048,
        });
        const split = await createSplitEngine(planSplit(model), backend, make(), kernels, {
          maxPositions: 2048,
        });
        const full = createStockEngine(await backend.createSession(model), createFullPolicy(), {
          numHeads: 8,
        });
        const a = await teacherForced(stock, prompt, continuation);
        const b = await teacherForced(split, prompt, continuation);
        const reference = await teacherForced(full, prompt, continuation);
        expect(maxDiff(a.rows, b.rows)).toBeLessThan(2e-4);
        // The packed cache changes the logits (decode rows only: prefill attends in fp32 in every mode).
        expect(maxDiff(a.rows.slice(1), reference.rows.slice(1))).toBeGreaterThan(1e-2);
        expect(a.bytes.resident).toBe(b.bytes.resident);
        expect(a.bytes.resident).toBeLessThan(reference.bytes.resident / 3);
        // Peak: the packed bytes, the dequantized float past and the step's present (2 x the float cache and more).
        const rowBytes = 9 * 2 * 4 * 32 * 4; // layers x (K, V) x KV heads x head dim x fp32
        expect(a.bytes.peak).toBeGreaterThanOrEqual(2 * reference.bytes.resident - rowBytes);
        for (const engine of [stock, split, full]) await engine.release();
      },
    );

    it('kivi4: greedy continuation equals split mode (generator API)', async () => {
      const backend = await loadBackend(name);
      const count = name === 'node' ? 16 : 4;
      const tokens: number[][] = [];
      for (const mode of ['stock', 'split'] as const) {
        const generator = await createGenerator(modelDir, {
          mode,
          backend,
          policy: createKiviPolicy({ bits: 4, residualLength: 32 }),
        });
        const result = await generator.generate(code.inputIds, { maxNewTokens: count });
        expect(result.mode).toBe(mode);
        tokens.push(result.tokens);
        await generator.release();
      }
      expect(tokens[0]).toEqual(tokens[1]);
    });
  },
);
