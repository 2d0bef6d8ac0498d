import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example';

const self = { name: '@x/kernels-wasm', entry: new URL('../src/index.ts', import.meta.url) };

it('README quick start runs and prints what it says', async () => {
  const { logs, documented } = await runReadmeExample({
    readme: new URL('../README.md', import.meta.url),
    self,
  });
  expect(documented.length).toBeGreaterThan(0);
  expect(logs.map((args) => args.join(' '))).toEqual(documented);
});

it('README attention example runs and prints what it says', async () => {
  const { logs, documented } = await runReadmeExample({
    readme: new URL('../README.md', import.meta.url),
    section: 'Attention kernels',
    self,
  });
  expect(documented.length).toBeGreaterThan(0);
  expect(logs.map((args) => args.join(' '))).toEqual(documented);
});
