import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../src/cli/run-cli';
import { writeTinyModelFolder } from '../src/eval/__fixtures__/tiny-decoder';
import { createRng } from '../src/rng';

function capture() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
  };
  return { out, io };
}

let dir: string;
let textFile: string;
beforeAll(() => {
  dir = writeTinyModelFolder(mkdtempSync(join(tmpdir(), 'x-eval-cli-')));
  const rng = createRng(2);
  const words = ['the', 'whale', 'ship', 'sea', 'Ahab', 'and', 'of', 'white'];
  textFile = join(dir, 'text.txt');
  writeFileSync(textFile, Array.from({ length: 400 }, () => words[rng.int(words.length)]).join(' '));
});

describe('x-eval', () => {
  test('ppl --json prints the result (exit 0), progress on stderr', async () => {
    const { out, io } = capture();
    const code = await runCli(
      ['ppl', dir, '--text', textFile, '--seqlen', '64', '--max-windows', '2', '--json'],
      io,
    );
    expect(code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout);
    expect(result).toMatchObject({
      backend: 'node',
      windows: 2,
      options: { seqlen: 64, maxWindows: 2, batchSize: 1 },
    });
    expect(result.perplexity).toBeGreaterThan(1);
    expect(result.windowNll).toHaveLength(2);
    expect(out.stderr).toMatch(/tokenized .* tokens/);
    expect(out.stderr).toContain('perplexity 2/2');
  });

  test('generate prints the continuation; --json gives the tokens', async () => {
    const { out, io } = capture();
    const code = await runCli(
      ['generate', dir, '--prompt', 'The whale', '--max-new-tokens', '5', '--json', '--ignore-eos'],
      io,
    );
    expect(code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout);
    expect(result.tokens).toHaveLength(5);
    expect(result.inputIds[0]).toBe(0);
    const plain = capture();
    expect(
      await runCli(
        ['generate', dir, '--prompt', 'The whale', '--max-new-tokens', '5', '--ignore-eos'],
        plain.io,
      ),
    ).toBe(0);
    expect(plain.out.stdout).toBe(`${result.text}\n`);
  });

  test('passkey --json runs the seeded trials and tabulates them by length and depth', async () => {
    const { out, io } = capture();
    const argv = [
      'passkey',
      dir,
      '--filler',
      textFile,
      '--lengths',
      '200,256',
      '--depths',
      '0.25,0.75',
      '--trials-per-cell',
      '2',
      '--json',
    ];
    const code = await runCli(argv, io);
    expect(code, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout);
    expect(result.results).toHaveLength(8);
    expect(Object.keys(result.table).sort()).toEqual(['200', '256']);
    expect(Object.keys(result.table['200']).sort()).toEqual(['0.25', '0.75']);
    expect(result.options.seed).toBe(0);
    const again = capture();
    await runCli(argv, again.io);
    expect(JSON.parse(again.out.stdout).results.map((entry: { key: string }) => entry.key)).toEqual(
      result.results.map((entry: { key: string }) => entry.key),
    );
    const replayWithoutFormat = capture();
    expect(await runCli(['passkey', dir, '--filler', textFile, '--replay'], replayWithoutFormat.io)).toBe(2);
  });

  test('exit 2 on usage errors, 1 on XError (missing model, missing text)', async () => {
    for (const argv of [
      [],
      ['frobnicate'],
      ['ppl', dir],
      ['ppl', dir, '--text', textFile, '--seqlen', 'x'],
      ['ppl', dir, '--bogus'],
    ]) {
      const { io } = capture();
      expect(await runCli(argv, io)).toBe(2);
    }
    const missing = capture();
    expect(await runCli(['ppl', join(dir, 'nope'), '--text', textFile], missing.io)).toBe(1);
    expect(missing.out.stderr).toContain('X_MODEL_READ');
    const noText = capture();
    expect(await runCli(['ppl', dir, '--text', join(dir, 'none.txt')], noText.io)).toBe(1);
    expect(noText.out.stderr).toContain('none.txt');
  });
});
