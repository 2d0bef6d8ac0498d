// The harness against the trained reference model (packages/reference-lm) and its PyTorch golden outputs.
// @x/reference-lm depends on @x/core, so core reads its files by path instead of importing it (no package cycle).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example';
import { PASSKEY_FORMAT, parsePasskeyFormat } from '../src/eval/passkey-format';
import { buildPasskeyPrompt } from '../src/eval/passkey-prompt';
import {
  type BackendName,
  evaluatePerplexity,
  generate,
  loadBackend,
  loadTokenizer,
  type Session,
} from '../src/index';
import { createTensor } from '../src/tensor/create-tensor';
import type { TextTokenizer } from '../src/tokenizer/types';

const root = join(import.meta.dirname, '..', '..', 'reference-lm');
const modelDir = join(root, 'model');
const modelPath = join(modelDir, 'onnx', 'model.onnx');
const present = existsSync(modelPath) && existsSync(join(root, 'golden.json'));

interface GoldenPrompt {
  name: string;
  text: string;
  inputIds: number[];
  lastLogits: number[];
  greedyIds: number[];
}

describe.skipIf(!present)('reference model (packages/reference-lm)', () => {
  let tokenizer: TextTokenizer;
  let golden: { prompts: GoldenPrompt[] };
  beforeAll(async () => {
    tokenizer = await loadTokenizer(modelDir);
    golden = JSON.parse(readFileSync(join(root, 'golden.json'), 'utf8'));
  });

  test('the tokenizer reproduces the golden input ids of every prompt', () => {
    for (const prompt of golden.prompts)
      expect(tokenizer.encode(prompt.text), prompt.name).toEqual(prompt.inputIds);
    expect(tokenizer.bosId).toBe(0);
  });

  test('passkey.json: same format as PASSKEY_FORMAT; buildPasskeyPrompt rebuilds its example prompt ids', () => {
    const json = JSON.parse(readFileSync(join(root, 'passkey.json'), 'utf8'));
    const format = parsePasskeyFormat(json, 'passkey.json');
    expect(format).toEqual(PASSKEY_FORMAT);
    const { trial, promptIds } = json.example as {
      trial: { length: number; depth: number; key: string };
      promptIds: number[];
    };
    // Recover the example's filler (the ids between prefix and question, minus the needle) and rebuild the prompt.
    const piece = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
    const prefix = piece(format.prefix).length;
    const needle = piece(format.needle.replaceAll('{key}', trial.key));
    const question = piece(format.question).length;
    let needleStart = -1;
    for (let i = 1 + prefix; i + needle.length <= promptIds.length && needleStart < 0; i++) {
      if (needle.every((id, j) => promptIds[i + j] === id)) needleStart = i;
    }
    const filler = [
      ...promptIds.slice(1 + prefix, needleStart),
      ...promptIds.slice(needleStart + needle.length, promptIds.length - question),
    ];
    const rebuilt = buildPasskeyPrompt(tokenizer, filler, { ...trial, fillerOffset: 0 }, format);
    expect(rebuilt.inputIds).toEqual(promptIds);
    expect(rebuilt.needleStart).toBe(needleStart);
    // Every trial of the PyTorch evaluation: same filler budget and needle depth (fillerTokens, needleAt).
    const trials = json.trials as {
      length: number;
      depth: number;
      key: string;
      fillerOffset: number;
      fillerTokens: number;
      needleAt: number;
    }[];
    const zeros = new Array<number>(
      Math.max(...trials.map((entry) => entry.fillerOffset + entry.length)),
    ).fill(1);
    for (const entry of trials) {
      const prompt = buildPasskeyPrompt(tokenizer, zeros, entry, format);
      expect([prompt.fillerTokens, prompt.fillerBefore]).toEqual([entry.fillerTokens, entry.needleAt]);
    }
  });

  test('the README "Evaluation" example runs and prints the golden continuation', async () => {
    // The generated file sits next to the README, so the example's '../reference-lm/...' paths resolve as written.
    const { logs } = await runReadmeExample({
      readme: new URL('../README.md', import.meta.url),
      section: 'Evaluation',
      self: { name: '@x/core', entry: new URL('../src/index.ts', import.meta.url) },
    });
    const short = golden.prompts.find((prompt) => prompt.name === 'short') as GoldenPrompt;
    expect(logs[0]).toEqual([tokenizer.decode(short.greedyIds.slice(0, 16))]);
    expect(logs[1][0]).toBe(2);
  });

  describe.each<BackendName>(['node', 'web'])('on %s', (backendName) => {
    let session: Session;
    beforeAll(async () => {
      session = await (await loadBackend(backendName)).createSession(modelPath);
    });

    test('greedy generate reproduces the PyTorch golden continuations', async () => {
      for (const prompt of golden.prompts) {
        if (backendName === 'web' && prompt.inputIds.length > 1000) continue; // the 1500-token prompt: node only (time)
        const result = await generate(session, {
          inputIds: prompt.inputIds,
          maxNewTokens: prompt.greedyIds.length,
        });
        expect(result.tokens, prompt.name).toEqual(prompt.greedyIds);
      }
    });

    test('last-position logits match the PyTorch golden (max |diff| < 2e-3)', async () => {
      for (const prompt of golden.prompts.filter((entry) => entry.inputIds.length <= 1000)) {
        const n = prompt.inputIds.length;
        const feeds: Record<string, ReturnType<typeof createTensor>> = {
          input_ids: createTensor('int64', [1, n], prompt.inputIds.map(BigInt)),
          attention_mask: createTensor('int64', [1, n], new BigInt64Array(n).fill(1n)),
          position_ids: createTensor(
            'int64',
            [1, n],
            prompt.inputIds.map((_, i) => BigInt(i)),
          ),
        };
        for (const meta of session.inputMetadata) {
          if (meta.name.startsWith('past_key_values.')) {
            feeds[meta.name] = createTensor('float32', [
              1,
              Number(meta.shape?.[1]),
              0,
              Number(meta.shape?.[3]),
            ]);
          }
        }
        const { logits } = await session.run(feeds, ['logits']);
        const vocab = logits.dims[2];
        const last = (logits.data as Float32Array).subarray((n - 1) * vocab);
        let worst = 0;
        for (let i = 0; i < vocab; i++) worst = Math.max(worst, Math.abs(last[i] - prompt.lastLogits[i]));
        expect(worst, prompt.name).toBeLessThan(2e-3);
      }
    });

    test('perplexity over 2 windows equals NLL computed here from one forward of both windows', async () => {
      const text = readFileSync(join(root, 'data', 'heldout.txt'), 'utf8').slice(0, 6000);
      const tokens = tokenizer.encode(text, { addSpecialTokens: false });
      const seqlen = 128;
      const result = await evaluatePerplexity(session, tokens, { seqlen, maxWindows: 2 });
      // Independent: both windows as one batch of 2, all logits, log-softmax written out here.
      const ids = tokens.slice(0, 2 * seqlen);
      const feeds: Record<string, ReturnType<typeof createTensor>> = {
        input_ids: createTensor('int64', [2, seqlen], ids.map(BigInt)),
        attention_mask: createTensor('int64', [2, seqlen], new BigInt64Array(2 * seqlen).fill(1n)),
        position_ids: createTensor(
          'int64',
          [2, seqlen],
          ids.map((_, i) => BigInt(i % seqlen)),
        ),
      };
      for (const meta of session.inputMetadata) {
        if (meta.name.startsWith('past_key_values.')) {
          feeds[meta.name] = createTensor('float32', [
            2,
            Number(meta.shape?.[1]),
            0,
            Number(meta.shape?.[3]),
          ]);
        }
      }
      const { logits } = await session.run(feeds, ['logits']);
      const vocab = logits.dims[2];
      let sum = 0;
      for (let w = 0; w < 2; w++) {
        for (let t = 0; t < seqlen - 1; t++) {
          const row = (logits.data as Float32Array).subarray(
            (w * seqlen + t) * vocab,
            (w * seqlen + t + 1) * vocab,
          );
          let peak = -Infinity;
          for (const value of row) peak = Math.max(peak, value);
          let z = 0;
          for (const value of row) z += Math.exp(value - peak);
          sum += peak + Math.log(z) - row[ids[w * seqlen + t + 1]];
        }
      }
      expect(result.meanNll).toBeCloseTo(sum / (2 * (seqlen - 1)), 5);
      expect(result.perplexity).toBeGreaterThan(1);
      expect(result.perplexity).toBeLessThan(vocab);
    });
  });
});
