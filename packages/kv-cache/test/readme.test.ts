/**
 * Runs the README's quick start (the first ```ts block) as written, with the package import pointed at the
 * sources, so the documented example cannot rot.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('README quick start runs and prints what it says', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const source = (block as string).replaceAll("'@x/kv-cache'", "'../src/index'");
  const file = new URL('./readme-quick-start.generated.ts', import.meta.url);
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
  expect(printed.map((args) => args.join(' '))).toEqual(expected);
});
