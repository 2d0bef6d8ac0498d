import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example';

it('the README quick start runs and prints what it says', async () => {
  const { logs } = await runReadmeExample({
    readme: new URL('../README.md', import.meta.url),
    section: 'Quick start',
    self: { name: '@x/quant-rotate', entry: new URL('../src/index.ts', import.meta.url) },
  });
  expect(logs[0]).toEqual([14, true, true]);
  expect(logs[1]).toEqual([14]);
});
