/**
 * DartQuant against Hadamard on the reference LM, per rotation seed (issue 6):
 * `node --conditions=@x/source --import tsx bench/dartquant-seeds.ts [--seeds 0,1,2,3,4] [--windows 32]
 * [--calibration 16] [--variants hadamard,dq-r1r2,...] [--r1-epochs 100] [--r1-lr 1e-1] [--r1-tokens 2048]
 * [--r2-epochs 50] [--r2-lr 1e-1] [--r2-tokens 2048] [--order variant|seed] [--heldout-windows 2] [--no-ppl]`.
 *
 * For every seed s, W4A4 RTN (simulated, the quality bench's `w4a4-*-rtn` rows: weights symmetric g128,
 * activations per token asymmetric 4-bit clip 0.9, R3/R4 online Hadamards) with these rotations:
 * - `hadamard`: `quantizeModel({ rotate: 'hadamard', seed: s })`: R1 = random Hadamard H_s, R2 = exact H_hd.
 * - `orthogonal`: `quantizeModel({ rotate: 'orthogonal', seed: s })`; `none`: `rotate: 'none'` (no R3/R4 either).
 * - `dq-start`: DartQuant's start point in the pipeline without training: R1 = H_s (init 'auto' with seed s),
 *   R2 of layer l = random Hadamard of seed s+1+l (not QuaRot's exact H).
 * - `dq-table`: the pipeline's `rotate: 'dartquant'` as in bench/quality.ts (paper defaults, R1 batches capped
 *   at 8192 tokens): R1 10 steps at lr 1e-3 from H_s, R2 10 steps at lr 1e-3 from the random Hadamards.
 * - `dq-r1`: R1 learned from H_s (`--r1-*`), R2 = exact H_hd: differs from `hadamard` only by R1 training.
 * - `dq-r2`: R1 = H_s, R2 learned from the exact H_hd (`--r2-*`): differs from `hadamard` only by R2 training.
 * - `dq-r1r2`: both learned, each from `hadamard`'s rotation (a paired comparison).
 * - `identity-check` (first seed only): the composition below with `hadamard`'s own rotations; its ppl must
 *   equal `hadamard`'s.
 *
 * How learned rotations reach the unchanged pipeline: on the norm-folded model, fuse R1·H_sᵀ and R2·Hᵀ and run
 * `quantizeModel({ rotate: 'hadamard', seed: s })`, which fuses H_s and H on top, so the model carries exactly
 * R1 and R2 and everything after the rotation choice is the library's own code path. R2 "from the exact
 * Hadamard" trains Z from the identity on per-head data X_h·H: QR(H·Z) = (H·Q)·R, so the iterates are H·Q(Z),
 * the same as training from Z0 = H (brief §8.4).
 *
 * Besides perplexity (core's `evaluatePerplexity`, golden protocol, first `--windows` 512-token windows of
 * data/heldout.txt) each row gives, on activations of the first `--heldout-windows` windows of
 * data/heldout.txt captured from the norm-folded unrotated model (held out from calibration): the Whip loss
 * (brief §8.3) of the q/up inputs under R1 and of the o_proj inputs under R2, and the relative squared error of
 * 4-bit per-token asymmetric quantization (clip 0.9, brief §7.4) of those rotated inputs.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
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
import { captureValues } from '../src/calibrate/capture-values';
import { calibrateR1 } from '../src/dartquant/calibrate-r1';
import { calibrateR2 } from '../src/dartquant/calibrate-r2';
import { evaluateWhip } from '../src/dartquant/whip-loss';
import { loadCalibrationFile, type QuantizeModelOptions, quantizeModel } from '../src/index';
import { fakeQuantizeActivations } from '../src/quant/fake-quantize-activations';
import { createHadamard } from '../src/rotation/hadamard';
import { createRandomHadamard } from '../src/rotation/random-hadamard';
import { createRandomOrthogonal } from '../src/rotation/random-orthogonal';
import { foldNorms } from '../src/transform/fold-norms';
import { fuseR1, fuseR2 } from '../src/transform/fuse-rotations';
import { untieEmbedding } from '../src/transform/untie-embedding';
import type { Matrix } from '../src/types';
import { emit } from './timing';

const modelDir = resolve(import.meta.dirname, '../../reference-lm/model');
const dataDir = resolve(import.meta.dirname, '../../reference-lm/data');
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2,3,4' },
    windows: { type: 'string', default: '32' },
    calibration: { type: 'string', default: '16' },
    'heldout-windows': { type: 'string', default: '2' },
    variants: { type: 'string', default: 'hadamard,orthogonal,dq-start,dq-table,dq-r1,dq-r2,dq-r1r2' },
    'r1-epochs': { type: 'string', default: '100' },
    'r1-lr': { type: 'string', default: '1e-1' },
    'r1-tokens': { type: 'string', default: '2048' },
    'r2-epochs': { type: 'string', default: '50' },
    'r2-lr': { type: 'string', default: '1e-1' },
    'r2-tokens': { type: 'string', default: '2048' },
    'no-ppl': { type: 'boolean', default: false },
    order: { type: 'string', default: 'variant' },
  },
});
const seeds = values.seeds.split(',').map(Number);
const variants = values.variants.split(',');
const seqlen = 512;
const activationQuant = { bits: 4, clipRatio: 0.9 } as const;
const r1Training = {
  epochs: Number(values['r1-epochs']),
  learningRate: Number(values['r1-lr']),
  maxTokensPerBatch: Number(values['r1-tokens']),
};
const r2Training = {
  epochs: Number(values['r2-epochs']),
  learningRate: Number(values['r2-lr']),
  maxTokensPerBatch: Number(values['r2-tokens']),
};
const processStarted = performance.now();
const cpuStarted = process.cpuUsage();

function clock() {
  const cpu = process.cpuUsage(cpuStarted);
  return {
    wall_s: Number(((performance.now() - processStarted) / 1000).toFixed(1)),
    cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
    loadavg: loadavg().map((v) => Number(v.toFixed(2))),
  };
}

const tokenizer = await loadTokenizer(modelDir);
const heldoutTokens = tokenizer.encode(readFileSync(join(dataDir, 'heldout.txt'), 'utf8'), {
  addSpecialTokens: false,
});
const calibration = {
  sequences: await loadCalibrationFile(join(dataDir, 'calibration.txt'), modelDir, {
    samples: Number(values.calibration),
    seqlen,
    seed: 0,
  }),
};

const model = await readModel(join(modelDir, 'onnx/model.onnx'));
const folded = model.clone();
let anatomy = findDecoderAnatomy(folded.proto);
if (untieEmbedding(folded, anatomy) !== undefined) anatomy = findDecoderAnatomy(folded.proto);
foldNorms(folded, anatomy);
const { hiddenSize: d, headDim: hd, numLayers, numHeads, numKvHeads } = anatomy.config;
const backend = await loadBackend('node');

/** q/up inputs (R1 data, in the pipeline's order) and o inputs (R2 data, per layer) of `sequences`. */
async function capture(sequences: readonly (readonly number[])[]) {
  const r1: Matrix[] = [];
  const r2: Matrix[][] = anatomy.layers.map(() => []);
  await captureValues(
    folded,
    anatomy,
    backend,
    sequences,
    anatomy.layers.flatMap((layer) => [layer.q.input, layer.up.input, layer.o.input]),
    (captured) => {
      anatomy.layers.forEach((layer, l) => {
        r1.push(captured.get(layer.q.input)!, captured.get(layer.up.input)!);
        r2[l].push(captured.get(layer.o.input)!);
      });
    },
    { phase: 'capture' },
  );
  return { r1, r2 };
}
const trainData = await capture(calibration.sequences);
const heldoutWindows = Array.from({ length: Number(values['heldout-windows']) }, (_, w) =>
  heldoutTokens.slice(w * seqlen, (w + 1) * seqlen),
);
const heldoutData = await capture(heldoutWindows);
emit({
  bench: 'dartquant-seeds',
  node: process.version,
  cpus: cpus().length,
  model: 'packages/reference-lm',
  config: anatomy.config,
  calibration: { sequences: calibration.sequences.length, seqlen, r1Samples: trainData.r1.length },
  heldoutForStatistics: { windows: heldoutWindows.length, r1Samples: heldoutData.r1.length },
  evaluation: { seqlen, windows: Number(values.windows) },
  r1Training,
  r2Training,
  ...clock(),
});

// Small dense helpers (fp64, row-major).
function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const v = a[i * n + k];
      if (v === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += v * b[k * n + j];
    }
  return out;
}
function transpose(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = a[i * n + j];
  return out;
}
const square = (n: number, data: Float64Array): Matrix<Float64Array> => ({ rows: n, cols: n, data });

/** Rows of `x` times a block-diagonal rotation: block h (`size` channels) times `blocks[h]`. */
function rotateBlocks(x: Matrix, blocks: readonly Float64Array[], size: number): Matrix<Float64Array> {
  const out = new Float64Array(x.rows * x.cols);
  for (let t = 0; t < x.rows; t++)
    for (let h = 0; h < x.cols / size; h++) {
      const r = blocks[h];
      const base = t * x.cols + h * size;
      for (let p = 0; p < size; p++) {
        const v = x.data[base + p];
        if (v === 0) continue;
        for (let j = 0; j < size; j++) out[base + j] += v * r[p * size + j];
      }
    }
  return { rows: x.rows, cols: x.cols, data: out };
}
/** R2 per query head from R2 per KV head (query head h uses KV head floor(h / g)). */
const perQueryHead = (perKvHead: readonly Float64Array[]) =>
  Array.from({ length: numHeads }, (_, h) => perKvHead[Math.floor(h / (numHeads / numKvHeads))]);

/** Relative squared error Σ(Q(y)−y)²/Σy² of 4-bit per-token activations over rotated samples. */
function a4Error(rotated: readonly Matrix<Float64Array>[]): number {
  let error = 0;
  let energy = 0;
  for (const y of rotated) {
    const q = fakeQuantizeActivations(y, activationQuant).data;
    for (let i = 0; i < y.data.length; i++) {
      error += (q[i] - y.data[i]) ** 2;
      energy += y.data[i] ** 2;
    }
  }
  return error / energy;
}

interface RotationSet {
  r1: Float64Array;
  /** r2[layer][kvHead], hd x hd. */
  r2: Float64Array[][];
}

/** Whip and 4-bit error of the held-out q/up inputs under R1 and o_proj inputs under R2. */
const r1Statistics = new WeakMap<Float64Array, { whipR1: number; a4ErrorR1: number }>();
const r2Statistics = new WeakMap<Float64Array[][], { whipR2: number; a4ErrorO: number }>();
function statistics(rotations: RotationSet) {
  let r1 = r1Statistics.get(rotations.r1);
  if (!r1) {
    const whip = evaluateWhip(heldoutData.r1, [square(d, rotations.r1)], false).loss;
    const a4 = a4Error(heldoutData.r1.map((x) => rotateBlocks(x, [rotations.r1], d)));
    r1 = { whipR1: Number(whip.toFixed(3)), a4ErrorR1: Number(a4.toExponential(4)) };
    r1Statistics.set(rotations.r1, r1);
  }
  let r2 = r2Statistics.get(rotations.r2);
  if (!r2) {
    let whip = 0;
    const rotatedO: Matrix<Float64Array>[] = [];
    rotations.r2.forEach((perKvHead, l) => {
      const matrices = perKvHead.map((r) => square(hd, r));
      whip += evaluateWhip(heldoutData.r2[l], matrices, false).loss / numLayers;
      for (const x of heldoutData.r2[l]) rotatedO.push(rotateBlocks(x, perQueryHead(perKvHead), hd));
    });
    r2 = { whipR2: Number(whip.toFixed(3)), a4ErrorO: Number(a4Error(rotatedO).toExponential(4)) };
    r2Statistics.set(rotations.r2, r2);
  }
  return { ...r1, ...r2 };
}

const w4a4: QuantizeModelOptions = { weightBits: 4, activationBits: 4 };
const exactH = createHadamard(hd).data;
const exactHT = transpose(exactH, hd);
function identityMatrix(n: number): Float64Array {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
}
const noR2 = Array.from({ length: numLayers }, () =>
  Array.from({ length: numKvHeads }, () => identityMatrix(hd)),
);
const hadamardR2 = Array.from({ length: numLayers }, () => Array.from({ length: numKvHeads }, () => exactH));

async function perplexity(quantized: OnnxModel): Promise<number> {
  const session = await backend.createSession(quantized, { threads: 1 });
  try {
    const result = await evaluatePerplexity(session, heldoutTokens, {
      seqlen,
      maxWindows: Number(values.windows),
    });
    return Number(result.perplexity.toFixed(3));
  } finally {
    await session.release();
  }
}

/** W4A4 ppl of the model carrying exactly `rotations` (composition with the `hadamard` pipeline, see top). */
async function composedPerplexity(rotations: RotationSet, seed: number) {
  const hsT = transpose(createRandomHadamard(d, { seed }).matrix.data, d);
  const pre = folded.clone();
  const preAnatomy = findDecoderAnatomy(pre.proto);
  fuseR1(pre, preAnatomy, square(d, matmul(rotations.r1, hsT, d)));
  fuseR2(
    pre,
    preAnatomy,
    rotations.r2.map((perKvHead) => perKvHead.map((r) => square(hd, matmul(r, exactHT, hd)))),
  );
  const { model: quantized, report } = await quantizeModel(pre, { ...w4a4, rotate: 'hadamard', seed });
  pre.close();
  const ppl = await perplexity(quantized);
  quantized.close();
  return { ppl, w4Error: weightError(report.projections) };
}

/** Mean over the 63 quantized linears of ‖W − Ŵ‖_F / ‖W‖_F (W4 RTN g128 of the rotated weights). */
function weightError(projections: readonly { relativeError: number }[]): number {
  const mean = projections.reduce((sum, p) => sum + p.relativeError, 0) / projections.length;
  return Number(mean.toExponential(4));
}

function trainR1(seed: number, options: Parameters<typeof calibrateR1>[1]) {
  const started = performance.now();
  const result = calibrateR1(trainData.r1, { seed, ...options });
  const history = result.lossHistory;
  return {
    rotation: result.rotation.data,
    info: {
      r1Steps: result.steps,
      r1Seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      r1BatchLossFirstLast: [history[0], history[history.length - 1]].map((v) => Number(v?.toFixed(3))),
    },
  };
}

/**
 * R2 of every layer: from the exact Hadamard (Z from the identity on X_h·H, see top) or, with `auto`, as the
 * pipeline does (random Hadamard of seed s+1+l).
 */
function trainR2(
  seed: number,
  start: 'exact-hadamard' | 'auto',
  options: { epochs?: number; learningRate?: number; maxTokensPerBatch?: number },
) {
  let steps = 0;
  const started = performance.now();
  const rotations = trainData.r2.map((samples, l) => {
    const common = { seed: seed + 1 + l, numHeads, numKvHeads, ...options };
    if (start === 'auto') {
      const result = calibrateR2(samples, common);
      steps = result.steps;
      return result.rotations.map((r) => r.data);
    }
    const rotated = samples.map((x) => rotateBlocks(x, Array(numHeads).fill(exactH), hd));
    const result = calibrateR2(rotated, { ...common, init: 'identity' });
    steps = result.steps;
    return result.rotations.map((r) => matmul(exactH, r.data, hd));
  });
  return {
    rotations,
    info: { r2Steps: steps, r2Seconds: Number(((performance.now() - started) / 1000).toFixed(1)) },
  };
}

const randomHadamards = new Map<number, Float64Array>();
/** H_s, one array per seed (statistics are memoised by array identity). */
function randomHadamard(seed: number): Float64Array {
  if (!randomHadamards.has(seed)) randomHadamards.set(seed, createRandomHadamard(d, { seed }).matrix.data);
  return randomHadamards.get(seed)!;
}
const learnedR1 = new Map<string, ReturnType<typeof trainR1>>();
const learnedR2 = new Map<string, ReturnType<typeof trainR2>>();
function r1At(seed: number, lr: number) {
  const key = `${seed}:${lr}`;
  if (!learnedR1.has(key))
    learnedR1.set(key, trainR1(seed, { init: 'random-hadamard', ...r1Training, learningRate: lr }));
  return learnedR1.get(key)!;
}
function r2At(seed: number, lr: number) {
  const key = `${seed}:${lr}`;
  if (!learnedR2.has(key))
    learnedR2.set(key, trainR2(seed, 'exact-hadamard', { ...r2Training, learningRate: lr }));
  return learnedR2.get(key)!;
}
// Variant-major by default, so that a stopped run still has every seed of its first variants. `none` does not
// depend on the seed (first seed only); the composition check runs right after the first row.
const jobs: [number, string][] =
  values.order === 'seed'
    ? seeds.flatMap((seed) => variants.map((v) => [seed, v] as [number, string]))
    : variants.flatMap((v) => seeds.map((seed) => [seed, v] as [number, string]));
const runs = jobs.filter(([seed, v]) => seed === seeds[0] || v !== 'none');
if (!values['no-ppl']) runs.splice(1, 0, [seeds[0], 'identity-check']);
for (const [seed, variant] of runs) {
  const hs = randomHadamard(seed);
  {
    const started = performance.now();
    const [kind, ...lrs] = variant.split(':');
    let rotations: RotationSet | undefined;
    let ppl: number | undefined;
    let w4Error: number | undefined;
    let info: Record<string, unknown> = {};
    if (kind === 'hadamard' || kind === 'orthogonal' || kind === 'none') {
      if (kind === 'hadamard') rotations = { r1: hs, r2: hadamardR2 };
      // The same matrices as the pipeline's chooseFixedRotations (R2 of layer l: seed s+1+l, shared by KV heads).
      if (kind === 'orthogonal') {
        rotations = {
          r1: createRandomOrthogonal(d, { seed }).data,
          r2: Array.from({ length: numLayers }, (_, l) => {
            const r = createRandomOrthogonal(hd, { seed: seed + 1 + l }).data;
            return Array.from({ length: numKvHeads }, () => r);
          }),
        };
      }
      if (kind === 'none') rotations = { r1: identityMatrix(d), r2: noR2 };
      if (!values['no-ppl']) {
        const { model: quantized, report } = await quantizeModel(model, { ...w4a4, rotate: kind, seed });
        ppl = await perplexity(quantized);
        w4Error = weightError(report.projections);
        quantized.close();
      }
    } else {
      if (kind === 'identity-check') rotations = { r1: hs, r2: hadamardR2 };
      else if (kind === 'dq-start') {
        rotations = {
          r1: hs,
          r2: Array.from({ length: numLayers }, (_, l) => {
            const r = createRandomHadamard(hd, { seed: seed + 1 + l }).matrix.data;
            return Array.from({ length: numKvHeads }, () => r);
          }),
        };
      } else if (kind === 'dq-table') {
        // The pipeline's learnDartQuantRotations with bench/quality.ts's options, same data in the same order.
        const r1 = trainR1(seed, { maxTokensPerBatch: 8192 });
        const r2 = trainR2(seed, 'auto', {});
        rotations = { r1: r1.rotation, r2: r2.rotations };
        info = { ...r1.info, ...r2.info };
      } else if (kind === 'dq-r1' || kind === 'dq-r2' || kind === 'dq-r1r2') {
        // dq-r1:<r1 lr>, dq-r2:<r2 lr>, dq-r1r2:<r1 lr>:<r2 lr>; omitted = --r1-lr / --r2-lr.
        const r1Lr = kind === 'dq-r2' ? undefined : Number(lrs[0] ?? r1Training.learningRate);
        const r2Lr =
          kind === 'dq-r1'
            ? undefined
            : Number((kind === 'dq-r2' ? lrs[0] : lrs[1]) ?? r2Training.learningRate);
        const r1 = r1Lr === undefined ? undefined : r1At(seed, r1Lr);
        const r2 = r2Lr === undefined ? undefined : r2At(seed, r2Lr);
        rotations = { r1: r1?.rotation ?? hs, r2: r2?.rotations ?? hadamardR2 };
        info = { r1Lr, r2Lr, ...r1?.info, ...r2?.info };
      } else throw new Error(`unknown variant ${variant}`);
      if (!values['no-ppl']) ({ ppl, w4Error } = await composedPerplexity(rotations, seed));
    }
    emit({
      bench: 'dartquant-seeds',
      seed,
      variant,
      ...(ppl === undefined ? {} : { ppl, w4Error }),
      ...(rotations ? statistics(rotations) : {}),
      ...info,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      ...clock(),
    });
  }
}
