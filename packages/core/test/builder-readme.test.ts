import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'x-core-builder-readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it('the README decoder builder and anatomy example runs and prints what it says', async () => {
  const readme = readFileSync(resolve(here, '../README.md'), 'utf8');
  const block = /## Decoder builder and anatomy[^\n]*\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const source = (block as string).replaceAll("from '@x/core'", `from '${resolve(here, '../src/index.ts')}'`);
  const file = join(scratch, 'builder-example.ts');
  writeFileSync(file, source);
  const logs: unknown[][] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void logs.push(args));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    log.mockRestore();
  }
  expect(logs).toEqual([['model.layers.1.self_attn.k_proj.weight', 'gqa'], [true]]);
});
