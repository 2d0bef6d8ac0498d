// Checks every golden prompt (the 1500-token one included, which the web test file skips for time) on one
// backend: greedy continuation token for token, and the last-position logits' max |diff| against PyTorch.
// Usage: pnpm --filter @x/reference-lm run check:golden [node|web]
import { readFile } from 'node:fs/promises';
import { type BackendName, createTensor, generate, loadBackend } from '@x/core';
import { goldenPath, onnxPath } from '../src/index';

interface GoldenPrompt {
  name: string;
  inputIds: number[];
  lastLogits: number[];
  greedyIds: number[];
}

const backendName = (process.argv[2] ?? 'node') as BackendName;
const golden = JSON.parse(await readFile(goldenPath, 'utf8')) as { prompts: GoldenPrompt[] };
const backend = await loadBackend(backendName);
const session = await backend.createSession(onnxPath);
const numLayers = session.inputNames.filter((name) => name.endsWith('.key')).length;
let failures = 0;
for (const prompt of golden.prompts) {
  const started = performance.now();
  const n = prompt.inputIds.length;
  const feeds: Record<string, ReturnType<typeof createTensor>> = {
    input_ids: createTensor('int64', [1, n], BigInt64Array.from(prompt.inputIds, BigInt)),
    attention_mask: createTensor('int64', [1, n], new BigInt64Array(n).fill(1n)),
    position_ids: createTensor(
      'int64',
      [1, n],
      BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
    ),
  };
  const pastMetadata = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  if (!pastMetadata) throw new Error(`${onnxPath} has no input past_key_values.0.key`);
  const [, kvHeads, , headDim] = pastMetadata.shape as [unknown, number, unknown, number];
  for (let layer = 0; layer < numLayers; layer++) {
    for (const kind of ['key', 'value']) {
      feeds[`past_key_values.${layer}.${kind}`] = createTensor('float32', [1, kvHeads, 0, headDim]);
    }
  }
  const { logits } = await session.run(feeds, ['logits']);
  const vocab = logits.dims[2];
  const last = (logits.data as Float32Array).subarray((n - 1) * vocab, n * vocab);
  let maxDiff = 0;
  for (let i = 0; i < vocab; i++) maxDiff = Math.max(maxDiff, Math.abs(last[i] - prompt.lastLogits[i]));
  const result = await generate(session, {
    inputIds: prompt.inputIds,
    maxNewTokens: prompt.greedyIds.length,
  });
  const match =
    result.tokens.length === prompt.greedyIds.length &&
    result.tokens.every((t, i) => t === prompt.greedyIds[i]);
  if (!match || maxDiff >= 1e-3) failures++;
  console.log(
    JSON.stringify({
      backend: backendName,
      prompt: prompt.name,
      promptTokens: n,
      lastLogitsMaxAbsDiff: maxDiff,
      greedyMatches: match,
      seconds: (performance.now() - started) / 1000,
    }),
  );
}
await session.release();
process.exitCode = failures === 0 ? 0 : 1;
