import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example';

const readme = new URL('../README.md', import.meta.url);
const self = { name: '@x/core', entry: new URL('../src/index.ts', import.meta.url) };
afterAll(() => {
  for (const name of ['tiny-mlp-edited.onnx', 'tiny-mlp-edited.onnx_data'])
    rmSync(join(tmpdir(), name), { force: true });
});

it('the README quick start runs and prints what it says', async () => {
  const { logs } = await runReadmeExample({ readme, section: 'Quick start', self });
  expect(logs[0]).toEqual([
    [1, 8],
    [1, 32],
  ]);
  expect(logs[1]).toEqual([['tiny-mlp-edited.onnx_data']]);
  expect(existsSync(join(tmpdir(), 'tiny-mlp-edited.onnx_data'))).toBe(true);
});

it('the README decoder builder and anatomy example runs and prints what it says', async () => {
  const { logs } = await runReadmeExample({ readme, section: 'Decoder builder and anatomy', self });
  expect(logs).toEqual([['model.layers.1.self_attn.k_proj.weight', 'gqa'], [true]]);
});
