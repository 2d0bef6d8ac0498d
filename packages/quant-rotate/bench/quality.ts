/**
 * Quality, size and speed of the pipeline on the trained reference LM (`packages/reference-lm`):
 * `node --conditions=@x/source --import tsx bench/quality.ts [--windows 64] [--calibration 32] [--only a,b]`.
 * One JSON line per configuration: held-out perplexity with core's `evaluatePerplexity` (golden protocol:
 * data/heldout.txt without special tokens, non-overlapping 512-token windows, the first `--windows` of them),
 * initializer bytes, quantization seconds, and core's forward throughput on onnxruntime-node (1 thread).
 * Calibration: `--calibration` seeded 512-token windows of data/calibration.txt (`loadCalibrationFile`).
 */

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  evaluatePerplexity,
  findDecoderAnatomy,
  loadBackend,
  loadTokenizer,
  type OnnxModel,
  readModel,
} from '@x/core';
import { createDecoderFeeds } from '../src/calibrate/decoder-feeds';
import { loadCalibrationFile, type QuantizeModelOptions, quantizeModel } from '../src/index';
import { loadReferenceAsBuilderModel } from './reference-as-builder';
import { emit } from './timing';

const modelDir = resolve(import.meta.dirname, '../../reference-lm/model');
const dataDir = resolve(import.meta.dirname, '../../reference-lm/data');
const { values } = parseArgs({
  options: {
    windows: { type: 'string', default: '64' },
    calibration: { type: 'string', default: '32' },
    only: { type: 'string' },
  },
});
const seqlen = 512;
const tokenizer = await loadTokenizer(modelDir);
const heldout = tokenizer.encode(readFileSync(join(dataDir, 'heldout.txt'), 'utf8'), {
  addSpecialTokens: false,
});
const calibration = {
  sequences: await loadCalibrationFile(join(dataDir, 'calibration.txt'), modelDir, {
    samples: Number(values.calibration),
    seqlen,
    seed: 0,
  }),
};

async function perplexity(model: OnnxModel) {
  const session = await (await loadBackend('node')).createSession(model, { threads: 1 });
  try {
    return await evaluatePerplexity(session, heldout, { seqlen, maxWindows: Number(values.windows) });
  } finally {
    await session.release();
  }
}

const dartquant = { r1: { maxTokensPerBatch: 8192 } }; // CPU budget: R1 steps on 8192 sampled tokens
const configs: [string, QuantizeModelOptions | undefined][] = [
  ['fp32', undefined],
  ['w16-hadamard (rotation only)', { rotate: 'hadamard', weightBits: 16 }],
  ['w8-rtn', { rotate: 'none', weightBits: 8 }],
  ['w4-rtn', { rotate: 'none', weightBits: 4 }],
  ['w4-hadamard-rtn', { rotate: 'hadamard', weightBits: 4 }],
  ['w4a4-rtn (simulated)', { rotate: 'none', weightBits: 4, activationBits: 4 }],
  ['w4a4-hadamard-rtn (simulated)', { rotate: 'hadamard', weightBits: 4, activationBits: 4 }],
  ['w4-hadamard-gptq', { rotate: 'hadamard', weightBits: 4, gptq: true, calibration }],
  [
    'w4a4-hadamard-gptq (simulated)',
    { rotate: 'hadamard', weightBits: 4, activationBits: 4, gptq: true, calibration },
  ],
  ['w4-dartquant-gptq', { rotate: 'dartquant', weightBits: 4, gptq: true, calibration, dartquant }],
  [
    'w4a4-dartquant-gptq (simulated)',
    { rotate: 'dartquant', weightBits: 4, activationBits: 4, gptq: true, calibration, dartquant },
  ],
  ['w4-gptq', { rotate: 'none', weightBits: 4, gptq: true, calibration }],
  // Per output channel (groupSize 0), as in QuaRot/SpinQuant's main tables.
  ['pc-w4-rtn', { rotate: 'none', weightBits: 4, groupSize: 0 }],
  ['pc-w4-hadamard-rtn', { rotate: 'hadamard', weightBits: 4, groupSize: 0 }],
  // W4A8: real int8 activations inside MatMulNBits (accuracy_level 4), one row per rotation.
  ['w4a8-rtn', { rotate: 'none', weightBits: 4, activationBits: 8 }],
  ['w4a8-orthogonal-rtn', { rotate: 'orthogonal', weightBits: 4, activationBits: 8 }],
  ['w4a8-hadamard-rtn', { rotate: 'hadamard', weightBits: 4, activationBits: 8 }],
  ['w4a8-dartquant-rtn', { rotate: 'dartquant', weightBits: 4, activationBits: 8, calibration, dartquant }],
  // W4A4 with every rotation under RTN (the rotation comparison without GPTQ's compensation).
  ['w4a4-orthogonal-rtn (simulated)', { rotate: 'orthogonal', weightBits: 4, activationBits: 4 }],
  [
    'w4a4-dartquant-rtn (simulated)',
    { rotate: 'dartquant', weightBits: 4, activationBits: 4, calibration, dartquant },
  ],
  // W4A4KV4: K (after RoPE and R3) and V fake-quantized per token and head, 4-bit asymmetric, clip 0.95.
  ['w4a4kv4-rtn (simulated)', { rotate: 'none', weightBits: 4, activationBits: 4, kvBits: 4 }],
  [
    'w4a4kv4-orthogonal-rtn (simulated)',
    { rotate: 'orthogonal', weightBits: 4, activationBits: 4, kvBits: 4 },
  ],
  ['w4a4kv4-hadamard-rtn (simulated)', { rotate: 'hadamard', weightBits: 4, activationBits: 4, kvBits: 4 }],
  [
    'w4a4kv4-dartquant-rtn (simulated)',
    { rotate: 'dartquant', weightBits: 4, activationBits: 4, kvBits: 4, calibration, dartquant },
  ],
  // DartQuant with R1 scaled to this model (bench/dartquant-diagnostics.ts): lr 1e-1, 40 steps of 2048 tokens.
  [
    'w4a4-dartquant-lr1e-1-rtn (simulated)',
    {
      rotate: 'dartquant',
      weightBits: 4,
      activationBits: 4,
      calibration,
      dartquant: { r1: { learningRate: 1e-1, epochs: 40, maxTokensPerBatch: 2048 } },
    },
  ],
  ['pc-w4-gptq', { rotate: 'none', weightBits: 4, groupSize: 0, gptq: true, calibration }],
  ['pc-w4-hadamard-gptq', { rotate: 'hadamard', weightBits: 4, groupSize: 0, gptq: true, calibration }],
];

// Read the export directly when core's anatomy understands it; otherwise rebuild it from its trained weights
// with core's builder and check the rebuild against the PyTorch golden logits (see reference-as-builder.ts).
let model: OnnxModel = await readModel(join(modelDir, 'onnx/model.onnx'));
let source = 'onnx/model.onnx (torch.onnx export)';
let goldenMaxDiff: number | undefined;
try {
  findDecoderAnatomy(model.proto);
} catch {
  model.close();
  model = (await loadReferenceAsBuilderModel(modelDir)).model;
  source = 'trained weights of onnx/model.onnx rebuilt with buildDecoderModel (decomposed)';
  const golden = JSON.parse(readFileSync(join(modelDir, '../golden.json'), 'utf8')) as {
    prompts: { inputIds: number[]; lastLogits: number[] }[];
  };
  const session = await (await loadBackend('node')).createSession(model, { threads: 1 });
  goldenMaxDiff = 0;
  for (const prompt of golden.prompts) {
    const feeds = createDecoderFeeds(findDecoderAnatomy(model.proto), prompt.inputIds);
    const logits = (await session.run(feeds, ['logits'])).logits.data as Float32Array;
    const last = logits.subarray(logits.length - prompt.lastLogits.length);
    for (let i = 0; i < last.length; i++)
      goldenMaxDiff = Math.max(goldenMaxDiff, Math.abs(last[i] - prompt.lastLogits[i]));
  }
  await session.release();
}
const anatomy = findDecoderAnatomy(model.proto);
emit({
  bench: 'environment',
  node: process.version,
  model: 'packages/reference-lm',
  config: anatomy.config,
  evaluation: {
    seqlen,
    windows: Number(values.windows),
    protocol: 'golden.json perplexity protocol, first windows',
  },
  calibration: { sequences: calibration.sequences.length, seqlen },
  note: 'weights symmetric, groupSize 128 (pc-: per channel); W4A4 and KV4 are simulated (fake-quant nodes): its throughput is not a speed claim',
  source,
  ...(goldenMaxDiff === undefined ? {} : { goldenLastLogitsMaxDiff: goldenMaxDiff }),
});
const floatBytes = model.listInitializers().reduce((s, i) => s + (i.byteLength ?? 0), 0);
for (const [name, options] of configs) {
  if (values.only && !values.only.split(',').some((o) => name.startsWith(o))) continue;
  const started = performance.now();
  const result = options ? await quantizeModel(model, options) : undefined;
  const seconds = (performance.now() - started) / 1000;
  const ppl = await perplexity(result?.model ?? model);
  emit({
    bench: 'reference-lm-quality',
    config: name,
    ppl: Number(ppl.perplexity.toFixed(3)),
    windows: ppl.windows,
    initializer_mb: Number(((result?.report.initializerBytes.after ?? floatBytes) / 1e6).toFixed(2)),
    quantize_seconds: Number(seconds.toFixed(1)),
    tokens_per_second_node_1thread: Number(ppl.tokensPerSecond.toFixed(0)),
    ...(result?.report.rotation.dartquant
      ? {
          dartquant_r1_whip: [
            result.report.rotation.dartquant.r1.whipBefore,
            result.report.rotation.dartquant.r1.whipAfter,
          ],
        }
      : {}),
    warnings: result?.report.warnings ?? [],
  });
}
