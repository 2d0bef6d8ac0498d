// Test helper: runs a ```ts block of a package README as written, so documented examples cannot rot.
// The block is written next to the calling test (so its imports resolve from the package), with the package's
// own name pointed at its sources; console.log calls are captured and returned.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface ReadmeExampleOptions {
  /** The README, e.g. `new URL('../README.md', import.meta.url)`. */
  readme: URL;
  /** Heading text of the section whose first ```ts block runs; the README's first block when omitted. */
  section?: string;
  /** The package's own name (e.g. '@x/core') and its source entry, e.g. `new URL('../src/index.ts', import.meta.url)`. */
  self: { name: string; entry: URL };
}

export interface ReadmeExampleResult {
  /** The block's source as written in the README. */
  block: string;
  /** Arguments of every console.log call, in order. */
  logs: unknown[][];
  /** The `// comment` after each `console.log(...);` line: what the README says it prints. */
  documented: string[];
}

export async function runReadmeExample(options: ReadmeExampleOptions): Promise<ReadmeExampleResult> {
  const readme = await readFile(options.readme, 'utf8');
  let text = readme;
  if (options.section !== undefined) {
    const at = readme.search(new RegExp(`^#+ ${escapeRegExp(options.section)}`, 'm'));
    if (at < 0) throw new Error(`${fileURLToPath(options.readme)} has no section "${options.section}"`);
    text = readme.slice(at);
  }
  const block = /```ts\n([\s\S]*?)```/.exec(text)?.[1];
  if (block === undefined) throw new Error(`${fileURLToPath(options.readme)}: no \`\`\`ts block found`);
  const source = block.replaceAll(`'${options.self.name}'`, `'${fileURLToPath(options.self.entry)}'`);
  const file = new URL(`./readme-example-${process.pid}-${Date.now()}.generated.ts`, options.readme);
  await writeFile(file, source);
  const logs: unknown[][] = [];
  const { log, table } = console;
  console.log = (...args: unknown[]) => void logs.push(args);
  console.table = () => undefined;
  try {
    await import(/* @vite-ignore */ fileURLToPath(file));
  } finally {
    console.log = log;
    console.table = table;
    await rm(file, { force: true });
  }
  const documented = [...block.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((match) => match[1]);
  return { block, logs, documented };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
