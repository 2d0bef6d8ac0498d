import { describe, expect, it } from 'vitest';
import { createProgressBar } from './progress-bar';

function capture(isTTY: boolean) {
  let text = '';
  return { stream: { isTTY, write: (chunk: string) => (text += chunk) }, text: () => text };
}

describe('createProgressBar', () => {
  it('redraws one line in place on a terminal and ends it when the phase completes', () => {
    const out = capture(true);
    const bar = createProgressBar(out.stream, { width: 4, phaseWidth: 6 });
    bar({ phase: 'layer', done: 1, total: 4 });
    bar({ phase: 'layer', done: 4, total: 4 });
    expect(out.text()).toBe('\rlayer  [#...] 1/4\rlayer  [####] 4/4\n');
  });

  it('prints bounded plain lines elsewhere: a new phase, each tenth, the end', () => {
    const out = capture(false);
    const bar = createProgressBar(out.stream);
    for (let done = 1; done <= 1000; done++) bar({ phase: 'capture', done, total: 1000 });
    bar({ phase: 'write', done: 1, total: 1 });
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe('capture 1/1000');
    expect(lines[10]).toBe('capture 1000/1000');
    expect(lines[11]).toBe('write 1/1');
  });
});
