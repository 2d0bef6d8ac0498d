import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'x-quant-readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it('the README quick start runs and prints what its comments say', async () => {
  const readme = readFileSync(resolve(here, '../README.md'), 'utf8');
  const block = /## Quick start\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const source = (block as string)
    .replace("from '@x/core'", `from '${resolve(here, '../../core/src/index.ts')}'`)
    .replace("from '@x/quant-rotate'", `from '${resolve(here, '../src/index.ts')}'`);
  const file = join(scratch, 'quick-start.ts');
  writeFileSync(file, source);
  const logs: unknown[][] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void logs.push(args));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    log.mockRestore();
  }
  expect(logs[0]).toEqual([14, true, true]);
  expect(logs[1]).toEqual([14]);
});
