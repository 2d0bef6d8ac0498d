// Test-only: a tiny decoder written as a Hugging Face style folder (onnx/model.onnx + external data, config.json,
// a word-level tokenizer.json over the tiny vocabulary, and a calibration text).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, writeModel } from '@x/core';
import { afterAll } from 'vitest';
import { tinyConfig, tinyDecoder } from './decoder';

export function useTempDir(): () => string {
  const created: string[] = [];
  afterAll(() => {
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'x-prune-'));
    created.push(dir);
    return dir;
  };
}

export async function writeTinyModelFolder(dir: string): Promise<{ calibrationText: string }> {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  await writeModel(tinyDecoder('decomposed'), join(dir, 'onnx', 'model.onnx'), {
    externalData: { sizeThreshold: 0 },
  });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ model_type: 'llama', 'transformers.js_config': { use_external_data_format: 1 } }),
  );
  const vocab: Record<string, number> = {};
  for (let id = 0; id < tinyConfig.vocabSize; id++) vocab[`w${id}`] = id;
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab, unk_token: 'w0' },
    }),
  );
  const rng = createRng(17);
  const calibrationText = join(dir, 'calibration.txt');
  writeFileSync(
    calibrationText,
    Array.from({ length: 300 }, () => `w${rng.int(tinyConfig.vocabSize)}`).join(' '),
  );
  return { calibrationText };
}
