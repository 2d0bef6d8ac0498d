/**
 * Why DartQuant's R1 barely moves on the reference LM (issue 6, item 2):
 * `node --conditions=@x/source --import tsx bench/dartquant-diagnostics.ts [--calibration 16] [--steps 60]
 * [--tokens 4096] [--lrs 1e-3,1e-2,1e-1,1] [--skip-paper]`.
 *
 * Captures DartQuant's R1 data (q_proj and up_proj inputs of every layer of the norm-folded, unrotated model;
 * brief §8.2) on `--calibration` windows of data/calibration.txt, holds out every 4th sample, and prints
 * JSON lines: outlier statistics of the activations (per-token kurtosis, max|x|/rms) with no rotation, a
 * random orthogonal and a random Hadamard R1; then the Whip loss (brief §8.3) and the 4-bit per-token
 * activation error (asymmetric, clip 0.9, brief §7.4) on the held-out samples for R1 trained with the paper's
 * settings (lr 1e-3, 10% of samples per epoch: 10 steps here) and with more steps and larger learning rates.
 * Reference points for d channels of an RMS-normalised token: Whip = d·e^{-1} when every |y_i| = 1 (the
 * minimum under Σy² = d), and d·2e^{1/2}Φ(−1) ≈ 0.523·d for Gaussian coordinates (what a random rotation gives).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findDecoderAnatomy, loadBackend, readModel } from '@x/core';
import { captureValues } from '../src/calibrate/capture-values';
import { calibrateR1 } from '../src/dartquant/calibrate-r1';
import { evaluateWhip } from '../src/dartquant/whip-loss';
import { loadCalibrationFile } from '../src/index';
import { multiply } from '../src/internal/dense';
import { fakeQuantizeActivations } from '../src/quant/fake-quantize-activations';
import { createRandomHadamard } from '../src/rotation/random-hadamard';
import { createRandomOrthogonal } from '../src/rotation/random-orthogonal';
import { foldNorms } from '../src/transform/fold-norms';
import { untieEmbedding } from '../src/transform/untie-embedding';
import type { Matrix } from '../src/types';
import { emit } from './timing';

const modelDir = resolve(import.meta.dirname, '../../reference-lm/model');
const dataDir = resolve(import.meta.dirname, '../../reference-lm/data');
const { values } = parseArgs({
  options: {
    calibration: { type: 'string', default: '16' },
    steps: { type: 'string', default: '60' },
    tokens: { type: 'string', default: '4096' },
    lrs: { type: 'string', default: '1e-3,1e-2,1e-1,1' },
    'skip-paper': { type: 'boolean', default: false },
  },
});

const model = await readModel(join(modelDir, 'onnx/model.onnx'));
let anatomy = findDecoderAnatomy(model.proto);
if (untieEmbedding(model, anatomy) !== undefined) anatomy = findDecoderAnatomy(model.proto);
foldNorms(model, anatomy);
const sequences = await loadCalibrationFile(join(dataDir, 'calibration.txt'), modelDir, {
  samples: Number(values.calibration),
  seqlen: 512,
  seed: 0,
});
const samples: Matrix[] = [];
await captureValues(
  model,
  anatomy,
  await loadBackend('node'),
  sequences,
  anatomy.layers.flatMap((layer) => [layer.q.input, layer.up.input]),
  (captured) => {
    for (const layer of anatomy.layers)
      samples.push(captured.get(layer.q.input)!, captured.get(layer.up.input)!);
  },
  { phase: 'capture' },
);
const train = samples.filter((_, i) => i % 4 !== 3);
const heldout = samples.filter((_, i) => i % 4 === 3);
const d = samples[0].cols;

function rotate(x: Matrix, r: Matrix): Matrix<Float64Array> {
  return { rows: x.rows, cols: r.cols, data: multiply(x.data, r.data, x.rows, x.cols, r.cols) };
}

/** Per-token kurtosis (Gaussian 3), mean and max of max|x_i|/rms(x) over tokens, 4-bit activation error. */
function statistics(set: readonly Matrix[], r: Matrix | undefined) {
  let kurtosis = 0;
  let ratio = 0;
  let maxRatio = 0;
  let tokens = 0;
  let error = 0;
  let energy = 0;
  for (const sample of set) {
    const y = r ? rotate(sample, r) : sample;
    const q = fakeQuantizeActivations(y, { bits: 4, clipRatio: 0.9 });
    for (let t = 0; t < y.rows; t++) {
      let m2 = 0;
      let m4 = 0;
      let peak = 0;
      let mean = 0;
      for (let i = 0; i < d; i++) mean += y.data[t * d + i] / d;
      for (let i = 0; i < d; i++) {
        const v = y.data[t * d + i];
        const c = v - mean;
        m2 += (c * c) / d;
        m4 += (c * c * c * c) / d;
        peak = Math.max(peak, Math.abs(v));
        const e = q.data[t * d + i] - v;
        error += e * e;
        energy += v * v;
      }
      kurtosis += m4 / (m2 * m2);
      const rms = Math.sqrt(m2 + mean * mean);
      ratio += peak / rms;
      maxRatio = Math.max(maxRatio, peak / rms);
      tokens++;
    }
  }
  return {
    kurtosis: Number((kurtosis / tokens).toFixed(2)),
    peakOverRms: Number((ratio / tokens).toFixed(2)),
    maxPeakOverRms: Number(maxRatio.toFixed(2)),
    a4RelativeError: Number((error / energy).toExponential(3)),
  };
}

function whip(set: readonly Matrix[], r: Matrix): number {
  return Number(evaluateWhip(set, [r], false).loss.toFixed(3));
}

const identity: Matrix<Float64Array> = { rows: d, cols: d, data: new Float64Array(d * d) };
for (let i = 0; i < d; i++) identity.data[i * d + i] = 1;
const hadamard = createRandomHadamard(d, { seed: 0 }).matrix;
emit({
  bench: 'dartquant-diagnostics',
  samples: { train: train.length, heldout: heldout.length, tokensPerSample: samples[0].rows, d },
  whipBounds: {
    uniformMagnitudes: Number((d / Math.E).toFixed(2)),
    gaussian: Number((0.5232 * d).toFixed(2)),
  },
});
for (const [name, r] of [
  ['none', identity],
  ['random-orthogonal', createRandomOrthogonal(d, { seed: 0 })],
  ['random-hadamard', hadamard],
] as const) {
  emit({
    bench: 'dartquant-diagnostics',
    rotation: name,
    whipHeldout: whip(heldout, r),
    ...statistics(heldout, r),
  });
}

const steps = Number(values.steps);
const maxTokensPerBatch = Number(values.tokens);
// Epochs of one step each: 10% of the training samples per epoch fits one batch of 64 samples here.
const runs: [string, Parameters<typeof calibrateR1>[1]][] = [
  ...(!values['skip-paper']
    ? ([['paper defaults (lr 1e-3, 10 epochs)', { maxTokensPerBatch }]] as [
        string,
        { maxTokensPerBatch: number },
      ][])
    : []),
  ...values.lrs
    .split(',')
    .map(
      (lr) =>
        [`lr ${lr}, ${steps} steps`, { maxTokensPerBatch, epochs: steps, learningRate: Number(lr) }] as [
          string,
          Parameters<typeof calibrateR1>[1],
        ],
    ),
];
for (const [name, options] of runs) {
  const started = performance.now();
  const result = calibrateR1(train, { seed: 0, ...options });
  const history = result.lossHistory;
  let moved = 0;
  for (let i = 0; i < d * d; i++) moved += (result.rotation.data[i] - result.initialRotation.data[i]) ** 2;
  emit({
    bench: 'dartquant-diagnostics',
    run: name,
    steps: result.steps,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    batchLossFirstLast: [Number(history[0].toFixed(3)), Number(history[history.length - 1].toFixed(3))],
    whipTrain: whip(train, result.rotation),
    whipHeldout: whip(heldout, result.rotation),
    relativeChangeOfR1: Number(Math.sqrt(moved / d).toExponential(3)),
    ...statistics(heldout, result.rotation),
  });
}
