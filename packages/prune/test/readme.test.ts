import { expect, it } from 'vitest';
import { runReadmeExample } from '../../../tools/readme-example';

it('the README quick start runs and prints what it says', async () => {
  const { logs } = await runReadmeExample({
    readme: new URL('../README.md', import.meta.url),
    section: 'Quick start',
    self: { name: '@x/prune', entry: new URL('../src/index.ts', import.meta.url) },
  });
  expect(logs[0]).toEqual([0.5, 14]);
  expect(logs[1]).toEqual([['o_proj:true', 'gate_proj:false']]);
});
