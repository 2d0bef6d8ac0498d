/**
 * Quality, size and speed of the pipeline on the trained reference LM (`packages/reference-lm`):
 * `node --conditions=@x/source --import tsx bench/quality.ts [--windows 32] [--calibration 32] [--seqlen 256]`.
 * One JSON line per configuration: held-out perplexity (BOS + 255-token windows from data/heldout.txt, the
 * first `--windows` non-overlapping ones), initializer bytes, quantization seconds and median prefill time of
 * one window on onnxruntime-node (1 thread). Calibration: `--calibration` seeded windows of data/calibration.txt.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  createRng,
  type DecoderAnatomy,
  findDecoderAnatomy,
  loadBackend,
  type OnnxModel,
  readModel,
} from '@x/core';
import { createDecoderFeeds } from '../src/calibrate/decoder-feeds';
import { type QuantizeModelOptions, quantizeModel } from '../src/index';
import { emit, medians } from './timing';

const here = dirname(fileURLToPath(import.meta.url));
const referenceDir = resolve(here, '../../reference-lm');
const { values } = parseArgs({
  options: {
    windows: { type: 'string', default: '32' },
    calibration: { type: 'string', default: '32' },
    seqlen: { type: 'string', default: '256' },
    only: { type: 'string' },
  },
});
const seqlen = Number(values.seqlen);
const tokenizer = new Tokenizer(
  JSON.parse(readFileSync(join(referenceDir, 'model/tokenizer.json'), 'utf8')),
  {},
);
const encode = (file: string) =>
  Array.from(
    tokenizer.encode(readFileSync(join(referenceDir, 'data', file), 'utf8'), { add_special_tokens: false })
      .ids,
    Number,
  );
const bos = 0;
const heldout = encode('heldout.txt');
const windows = Array.from({ length: Number(values.windows) }, (_, w) => [
  bos,
  ...heldout.slice(w * (seqlen - 1), (w + 1) * (seqlen - 1)),
]);
const calibrationTokens = encode('calibration.txt');
const rng = createRng(0);
const calibration = {
  sequences: Array.from({ length: Number(values.calibration) }, () => {
    const start = rng.int(calibrationTokens.length - seqlen);
    return [bos, ...calibrationTokens.slice(start, start + seqlen - 1)];
  }),
};

async function perplexity(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
): Promise<{ ppl: number; prefillMs: number }> {
  const session = await (await loadBackend('node')).createSession(model, { threads: 1 });
  let nll = 0;
  let count = 0;
  for (const ids of windows) {
    const logits = (await session.run(createDecoderFeeds(anatomy, ids), [anatomy.io.logits]))[
      anatomy.io.logits
    ];
    const vocab = logits.dims[2];
    const data = logits.data as Float32Array;
    for (let t = 0; t + 1 < ids.length; t++) {
      let max = -Infinity;
      for (let v = 0; v < vocab; v++) max = Math.max(max, data[t * vocab + v]);
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(data[t * vocab + v] - max);
      nll += Math.log(sum) + max - data[t * vocab + ids[t + 1]];
      count++;
    }
  }
  const feeds = createDecoderFeeds(anatomy, windows[0]);
  const time = await medians(
    { prefill: () => session.run(feeds, [anatomy.io.logits]) },
    { warmup: 1, samples: 5 },
  );
  await session.release();
  return { ppl: Math.exp(nll / count), prefillMs: time.prefill };
}

const configs: [string, QuantizeModelOptions | undefined][] = [
  ['fp32', undefined],
  ['w8-rtn', { rotate: 'none', weightBits: 8 }],
  ['w4-rtn', { rotate: 'none', weightBits: 4 }],
  ['w4-hadamard-rtn', { rotate: 'hadamard', weightBits: 4 }],
  ['w4-hadamard-gptq', { rotate: 'hadamard', weightBits: 4, gptq: true, calibration }],
  ['w4-dartquant-gptq', { rotate: 'dartquant', weightBits: 4, gptq: true, calibration }],
  ['w4a4-rtn', { rotate: 'none', weightBits: 4, activationBits: 4 }],
  ['w4a4-hadamard-rtn', { rotate: 'hadamard', weightBits: 4, activationBits: 4 }],
  ['w4a4-hadamard-gptq', { rotate: 'hadamard', weightBits: 4, activationBits: 4, gptq: true, calibration }],
  ['w4a4-dartquant-gptq', { rotate: 'dartquant', weightBits: 4, activationBits: 4, gptq: true, calibration }],
];

const model = await readModel(join(referenceDir, 'model/onnx/model.onnx'));
const anatomy = findDecoderAnatomy(model.proto);
emit({
  bench: 'environment',
  node: process.version,
  model: 'packages/reference-lm',
  config: anatomy.config,
  evaluation: { windows: windows.length, seqlen, tokens: windows.length * (seqlen - 1) },
  calibration: { sequences: calibration.sequences.length, seqlen },
  note: 'groupSize 128 symmetric weights; W4A4 is simulated (fake-quant nodes), its prefill time is not a speed claim',
});
for (const [name, options] of configs) {
  if (values.only && !values.only.split(',').includes(name)) continue;
  const started = performance.now();
  const result = options ? await quantizeModel(model, options) : undefined;
  const seconds = (performance.now() - started) / 1000;
  const quantized = result?.model ?? model;
  const { ppl, prefillMs } = await perplexity(quantized, anatomy);
  emit({
    bench: 'reference-lm-quality',
    config: name,
    ppl: Number(ppl.toFixed(3)),
    initializer_mb: Number(
      (
        (result?.report.initializerBytes.after ??
          model.listInitializers().reduce((s, i) => s + (i.byteLength ?? 0), 0)) / 1e6
      ).toFixed(2),
    ),
    quantize_seconds: Number(seconds.toFixed(1)),
    prefill_ms_node_1thread: prefillMs,
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
