/**
 * Runs the README's attention example (the first ```ts block under "## Attention kernels") as written,
 * with the package import pointed at the sources, and checks it prints what its comments say.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('README attention example runs and prints what it says', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Attention kernels'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBeDefined();
  const source = (block as string).replaceAll("'@x/kernels-wasm'", "'../src/index'");
  const file = new URL('./attention-readme.generated.ts', import.meta.url);
  await writeFile(file, source);
  const printed: unknown[][] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void printed.push(args);
  try {
    await import(/* @vite-ignore */ fileURLToPath(file));
  } finally {
    console.log = original;
    await rm(file, { force: true });
  }
  const expected = [...(block as string).matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map(
    (match) => match[1],
  );
  expect(expected.length).toBeGreaterThan(0);
  expect(printed.map((args) => args.join(' '))).toEqual(expected);
});
