import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '@x/core';
import { describe, expect, it } from 'vitest';
import { createKvPolicy } from '../src/policy/registry';
import { createGenerator } from '../src/runtime/create-generator';

// The trained reference model (packages/reference-lm): PyTorch fp32 greedy continuations in golden.json.
const modelDir = fileURLToPath(new URL('../../reference-lm/model', import.meta.url));
const golden = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../reference-lm/golden.json', import.meta.url)), 'utf8'),
);
const prompts = golden.prompts.filter((prompt: { name: string }) =>
  ['short', 'docs'].includes(prompt.name),
) as {
  name: string;
  inputIds: number[];
  greedyIds: number[];
}[];

describe.each(['node', 'web'] as BackendName[])('reference LM on onnxruntime-%s', (backend) => {
  // onnxruntime-web is ~5x slower here: one prompt, 8 tokens keeps the file within a few seconds.
  const cases =
    backend === 'node'
      ? prompts.map((prompt) => ({ prompt, count: 24 }))
      : [{ prompt: prompts[0], count: 8 }];
  it('stock mode with the full cache reproduces the PyTorch golden greedy continuations', async () => {
    const generator = await createGenerator(modelDir, { mode: 'stock', backend });
    for (const { prompt, count } of cases) {
      const result = await generator.generate(prompt.inputIds, { maxNewTokens: count });
      expect(result.tokens, prompt.name).toEqual(prompt.greedyIds.slice(0, count));
    }
    await generator.release();
  });

  // Split mode cuts the torch.onnx export itself (core's anatomy reads it) into per-layer sessions.
  it('split mode (full cache) reproduces the golden continuations; logits agree with the stock export to 1e-4', async () => {
    const split = await createGenerator(modelDir, { mode: 'split', backend });
    for (const { prompt, count } of cases.slice(0, 1)) {
      const result = await split.generate(prompt.inputIds, { maxNewTokens: count });
      expect(result.tokens, prompt.name).toEqual(prompt.greedyIds.slice(0, count));
    }
    const stock = await createGenerator(modelDir, { mode: 'stock', backend });
    const ids = [...prompts[0].inputIds, ...prompts[0].greedyIds.slice(0, 4)];
    const a = await stock.forwardAll(ids);
    const b = await split.forwardAll(ids);
    expect(b.length).toBe(a.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-4);
    await split.release();
    await stock.release();
  });
});

describe('reference LM, StreamingLLM in stock mode', () => {
  it('a window larger than the history changes nothing; a small one still starts like the full cache', async () => {
    const prompt = prompts[0];
    const wide = await createGenerator(modelDir, { policy: createKvPolicy('streaming', { window: 1020 }) });
    expect((await wide.generate(prompt.inputIds, { maxNewTokens: 8 })).tokens).toEqual(
      prompt.greedyIds.slice(0, 8),
    );
    await wide.release();
    const narrow = await createGenerator(modelDir, {
      policy: createKvPolicy('streaming', { sinks: 4, window: 8 }),
    });
    const result = await narrow.generate(prompt.inputIds, { maxNewTokens: 8 });
    expect(result.tokens[0]).toBe(prompt.greedyIds[0]);
    expect(result.slots).toBe(12);
    await narrow.release();
  });
});
