import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModel } from '@x/core';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run-cli';
import type { PruneReport } from '../src/model/prune-report';
import { useTempDir, writeTinyModelFolder } from './helpers/model-folder';

const tempDir = useTempDir();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

describe('x-prune', () => {
  it('prunes a model folder from calibration text and writes the same layout plus a report', async () => {
    const source = tempDir();
    const { calibrationText } = await writeTinyModelFolder(source);
    const out = join(tempDir(), 'pruned');
    const run = capture();
    const code = await runCli(
      [
        source,
        '--out',
        out,
        '--method',
        'wanda',
        '--dsnot',
        '--dsnot-cycles',
        'row-width',
        '--sparsity',
        '0.6',
        '--calibration',
        calibrationText,
        '--samples',
        '4',
        '--seqlen',
        '12',
        '--json',
      ],
      run.io,
    );
    expect(run.stderr()).toContain('prune-layer');
    expect(code).toBe(0);
    const report = JSON.parse(run.stdout()) as PruneReport;
    expect(report.options.method).toBe('wanda');
    expect(report.options.dsnot).toMatchObject({ scaleMaxCycles: 'row-width', maxCycles: 50 });
    expect(report.calibrationSource).toMatchObject({ samples: 4, seqlen: 12, seed: 0 });
    expect(report.linears).toHaveLength(21);
    for (const linear of report.linears) expect(linear.sparsity).toBeCloseTo(0.59375, 12); // floor(0.6·32)/32, floor(0.6·64)/64
    expect(readdirSync(out).sort()).toEqual([
      'calibration.txt',
      'config.json',
      'onnx',
      'prune-report.json',
      'tokenizer.json',
    ]);
    expect(readdirSync(join(out, 'onnx')).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))['transformers.js_config']).toEqual({
      use_external_data_format: 1,
    });
    expect(JSON.parse(readFileSync(join(out, 'prune-report.json'), 'utf8'))).toEqual(report);
    const written = await readModel(join(out, 'onnx', 'model.onnx'));
    expect(written.listInitializers().length).toBeGreaterThan(20);
    written.close();
  });

  it('refuses to write into its input folder (exit 1, nothing written) and reports usage errors with exit 2', async () => {
    const source = tempDir();
    const { calibrationText } = await writeTinyModelFolder(source);
    const before = readdirSync(source).sort();
    const same = capture();
    expect(await runCli([source, '--out', source, '--calibration', calibrationText], same.io)).toBe(1);
    expect(same.stderr()).toContain('PRUNE_OUTPUT_EXISTS');
    expect(
      await runCli([source, '--out', join(source, 'nested'), '--calibration', calibrationText], capture().io),
    ).toBe(1);
    expect(readdirSync(source).sort()).toEqual(before);
    const bad = capture();
    expect(
      await runCli(
        [source, '--out', join(tempDir(), 'x'), '--sparsity', '1.5', '--calibration', calibrationText],
        bad.io,
      ),
    ).toBe(1);
    expect(bad.stderr()).toContain('PRUNE_INVALID_OPTION');
    for (const argv of [
      [],
      [source],
      [source, '--out', 'x', '--nm', '2:4', '--sparsity', '0.5'],
      [source, '--out', 'x', '--frobnicate'],
    ]) {
      const usage = capture();
      expect(await runCli(argv, usage.io)).toBe(2);
      expect(usage.stderr()).toContain('Usage: x-prune');
    }
    const help = capture();
    expect(await runCli(['--help'], help.io)).toBe(0);
    expect(help.stdout()).toContain('--nm <N:M>');
    expect(existsSync(join(source, 'prune-report.json'))).toBe(false);
  });
});
