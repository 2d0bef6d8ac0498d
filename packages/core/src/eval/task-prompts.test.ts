import { describe, expect, test } from 'vitest';
import { createRng } from '../rng';
import { createTaskPrompts, TASK_CATEGORIES } from './task-prompts';

const rng = createRng(4);
const words = ['whale', 'ship', 'Ahab', 'sea', 'the', 'and', 'Queequeg', 'harpoon', 'white', 'deck'];
const text = Array.from({ length: 40 }, () =>
  Array.from(
    { length: 6 },
    () => `${Array.from({ length: 9 }, () => words[rng.int(words.length)]).join(' ')}.`,
  ).join(' '),
).join('\n\n');
const code = [0, 1, 2]
  .map(
    (file) =>
      `# file: lib/m${file}.py\n${Array.from({ length: 80 }, (_, line) => (line % 10 === 0 ? `def f${file}_${line}(x):` : `    return x + ${line}`)).join('\n')}\n`,
  )
  .join('');

describe('createTaskPrompts', () => {
  test('perCategory prompts of each Spec-Bench-like category, alternating, ids stable', () => {
    const prompts = createTaskPrompts({ text, code, perCategory: 3, passageChars: 600 });
    expect(prompts).toHaveLength(12);
    expect(prompts.slice(0, 4).map((prompt) => prompt.category)).toEqual([...TASK_CATEGORIES]);
    expect(prompts.map((prompt) => prompt.id)).toContain('multi-turn-2');
  });

  test('same seed, same prompts; another seed differs', () => {
    const a = createTaskPrompts({ text, code, seed: 5, passageChars: 600 });
    expect(createTaskPrompts({ text, code, seed: 5, passageChars: 600 })).toEqual(a);
    expect(createTaskPrompts({ text, code, seed: 6, passageChars: 600 })).not.toEqual(a);
  });

  test('content comes from the given text and code', () => {
    for (const prompt of createTaskPrompts({ text, code, perCategory: 4, passageChars: 600 })) {
      if (prompt.category === 'summarization') {
        const passage = prompt.text.split('\n\n')[1];
        expect(text).toContain(passage);
        expect(passage.length).toBeGreaterThan(200);
        expect(prompt.text.endsWith('Summary:')).toBe(true);
      } else if (prompt.category === 'qa') {
        const passage = prompt.text.split('Passage:\n')[1].split('\n\nQuestion:')[0];
        expect(text).toContain(passage);
        expect(prompt.text).toMatch(/Question: What does the passage say about \w+\?\nAnswer:$/);
      } else if (prompt.category === 'code-edit') {
        const snippet = prompt.text.split('```python\n')[1].split('```')[0];
        expect(code).toContain(snippet);
        expect(snippet.split('\n').length).toBeGreaterThan(10);
      } else {
        expect(prompt.text.startsWith('User: ')).toBe(true);
        expect(prompt.text).toContain('\nAssistant: ');
        expect(prompt.text.endsWith('\nAssistant:')).toBe(true);
      }
    }
  });

  test('typed error when a text is shorter than two passages', () => {
    expect(() => createTaskPrompts({ text: 'short', code })).toThrow(/options\.text/);
  });
});
