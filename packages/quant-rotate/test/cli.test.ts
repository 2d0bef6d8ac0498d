/** `x-quant` end to end on a builder decoder written to a temporary model folder. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildDecoderModel,
  createDecoderWeights,
  type DecoderConfig,
  findDecoderAnatomy,
  OnnxModel,
  readModel,
  writeModel,
} from '@x/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createDecoderFeeds } from '../src/calibrate/decoder-feeds';
import { runCli } from '../src/cli/run-cli';
import { maxAbsDiff, runModel } from './helpers';

const config: DecoderConfig = {
  vocabSize: 32,
  hiddenSize: 32,
  numLayers: 1,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 16,
  intermediateSize: 48, // 12·4
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
};
const root = mkdtempSync(join(tmpdir(), 'x-quant-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    streams: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } },
  };
}

async function modelFolder(): Promise<string> {
  const dir = join(root, 'model');
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const model = new OnnxModel(buildDecoderModel(config, createDecoderWeights(config, { seed: 1 })));
  await writeModel(model, join(dir, 'onnx', 'model.onnx'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama' }));
  writeFileSync(
    join(dir, 'calibration.json'),
    JSON.stringify(
      Array.from({ length: 3 }, (_, s) => Array.from({ length: 10 }, (_, i) => (s * 7 + i * 3) % 32)),
    ),
  );
  return dir;
}

describe('x-quant', () => {
  it('rotates without quantizing (--w 16): the written model computes the same logits; --json prints the report', async () => {
    const dir = await modelFolder();
    const out = join(root, 'out-w16');
    const { streams, out: stdout } = io();
    const code = await runCli([dir, '--out', out, '--w', '16', '--json'], streams);
    expect(code).toBe(0);
    const report = JSON.parse(stdout.join(''));
    expect(report.options).toMatchObject({ rotate: 'hadamard', weightBits: 16, r3: true, r4: true });
    expect(JSON.parse(readFileSync(join(out, 'quantize-report.json'), 'utf8')).options.rotate).toBe(
      'hadamard',
    );
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toContain('llama');
    const original = await readModel(join(dir, 'onnx', 'model.onnx'));
    const rotated = await readModel(join(out, 'onnx', 'model.onnx'));
    const feeds = createDecoderFeeds(findDecoderAnatomy(original.proto), [1, 2, 3, 4, 5]);
    const a = (await runModel('node', original, feeds)).logits.data as Float32Array;
    const b = (await runModel('node', rotated, feeds)).logits.data as Float32Array;
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-3);
  });

  it('quantizes with GPTQ from a calibration file and writes MatMulNBits', async () => {
    const dir = await modelFolder();
    const out = join(root, 'out-gptq');
    const { streams, err, out: out2 } = io();
    const code = await runCli(
      [
        dir,
        '--out',
        out,
        '--w',
        '4',
        '--group',
        '16',
        '--gptq',
        '--damping',
        '0.1',
        '--act-order',
        '--clip',
        'mse',
        '--calibration',
        join(dir, 'calibration.json'),
        '--json',
      ],
      streams,
    );
    expect(code).toBe(0);
    expect(err.join('')).toContain('capture-activations');
    expect(JSON.parse(out2.join('')).options).toMatchObject({
      gptq: true,
      damping: 0.1,
      actOrder: true,
      clip: 'mse',
    });
    const written = await readModel(join(out, 'onnx', 'model.onnx'));
    expect((written.graph().node ?? []).filter((n) => n.opType === 'MatMulNBits')).toHaveLength(7);
  });

  it('exits 2 on usage errors and 1 on library errors', async () => {
    const usage = io();
    expect(await runCli(['--w', '4'], usage.streams)).toBe(2);
    expect(await runCli([root, '--out', join(root, 'x'), '--a', '6'], usage.streams)).toBe(2);
    expect(await runCli([root, '--out', join(root, 'x'), '--gptq'], usage.streams)).toBe(2);
    expect(usage.err.join('')).toContain('Usage: x-quant');
    const missing = io();
    expect(await runCli([join(root, 'nope'), '--out', join(root, 'y')], missing.streams)).toBe(1);
    expect(missing.err.join('')).toContain('X_MODEL_READ');
    const inside = io();
    const dir = await modelFolder();
    expect(await runCli([dir, '--out', join(dir, 'sub')], inside.streams)).toBe(1);
    expect(inside.err.join('')).toContain('QUANT_INVALID_OPTION');
    const help = io();
    expect(await runCli(['--help'], help.streams)).toBe(0);
  });
});
