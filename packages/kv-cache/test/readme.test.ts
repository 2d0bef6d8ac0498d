import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example';

it('README quick start runs and prints what it says', async () => {
  const { logs, documented } = await runReadmeExample({
    readme: new URL('../README.md', import.meta.url),
    self: { name: '@x/kv-cache', entry: new URL('../src/index.ts', import.meta.url) },
  });
  expect(documented.length).toBeGreaterThan(0);
  expect(logs.map((args) => args.join(' '))).toEqual(documented);
});

it('README own-loop example (raw InferenceSession + kivi4 adapter) runs and prints what it says', async () => {
  const { logs, documented } = await runReadmeExample({
    readme: new URL('../README.md', import.meta.url),
    section: 'Generation options',
    self: { name: '@x/kv-cache', entry: new URL('../src/index.ts', import.meta.url) },
  });
  expect(documented).toHaveLength(1);
  expect(logs.map((args) => args.join(' '))).toEqual(documented);
});
