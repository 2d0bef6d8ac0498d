import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goldenPath, modelDir } from '@x/reference-lm';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run-cli';

// The trained reference model and its PyTorch golden greedy continuations.
const golden = JSON.parse(readFileSync(goldenPath, 'utf8'));
const short = golden.prompts.find((prompt: { name: string }) => prompt.name === 'short');

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

describe('x-kv generate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'x-kv-cli-'));
  const promptFile = join(dir, 'prompt.txt');
  writeFileSync(promptFile, short.text);

  it('--json prints tokens, text and kvBytes; greedy tokens are the PyTorch golden ones; memory on stderr', async () => {
    const { code, stdout, stderr } = await cli([
      'generate',
      modelDir,
      '--prompt-file',
      promptFile,
      '--max-new-tokens',
      '6',
      '--ignore-eos',
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout.trim());
    expect(result.promptTokens).toBe(short.inputIds.length);
    expect(result.tokens).toEqual(short.greedyIds.slice(0, 6));
    expect(typeof result.text).toBe('string');
    expect(result.kvBytes.resident).toBeGreaterThan(0);
    expect(stderr).toMatch(/6\/6 decode .* kv [\d.]+ MiB \(peak/);
  });

  it('exit 2 on usage errors, 1 on typed errors (unknown policy, policy not in this mode, window 0)', async () => {
    expect((await cli(['generate', modelDir])).code).toBe(2);
    expect((await cli(['generate', modelDir, '--prompt-file', promptFile, '--mode', 'tree'])).code).toBe(2);
    expect((await cli(['bogus'])).code).toBe(2);
    const unknown = await cli(['generate', modelDir, '--prompt-file', promptFile, '--policy', 'h2o']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('KV_UNKNOWN_POLICY');
    // RazorAttention is split-only (per-head budgets); the profile is only parsed before the mode check.
    const profileFile = join(dir, 'razor-heads.json');
    writeFileSync(
      profileFile,
      JSON.stringify({
        format: 'x-kv/razor-heads@1',
        fingerprint: {
          numLayers: 9,
          numHeads: 8,
          numKvHeads: 4,
          headDim: 32,
          vocabSize: 4096,
          weightsHash: '',
        },
        heads: Array.from({ length: 9 }, () => [0]),
        scores: {
          echo: Array.from({ length: 9 }, () => [0, 0, 0, 0]),
          induction: Array.from({ length: 9 }, () => [1, 0, 0, 0]),
        },
      }),
    );
    const splitOnly = await cli([
      'generate',
      modelDir,
      '--prompt-file',
      promptFile,
      '--policy',
      'razor',
      '--policy-option',
      `profile=${profileFile}`,
      '--mode',
      'stock',
    ]);
    expect(splitOnly.code).toBe(1);
    expect(splitOnly.stderr).toContain('KV_POLICY_UNAVAILABLE');
    const window = await cli([
      'generate',
      modelDir,
      '--prompt-file',
      promptFile,
      '--policy',
      'streaming',
      '--policy-option',
      'window=0',
    ]);
    expect(window.code).toBe(1);
    expect(window.stderr).toContain('KV_INVALID_OPTION');
  });
});

describe('x-kv profile', () => {
  it('is dispatched by the CLI: --help prints its usage, a missing model folder is a usage error', async () => {
    const help = await cli(['profile', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: x-kv profile');
    const missing = await cli(['profile']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('usage: x-kv profile');
  });
});
