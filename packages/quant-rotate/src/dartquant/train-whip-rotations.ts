/**
 * DartQuant rotation calibration (arXiv 2511.04063 Algorithm 1; `calibrater/r1_base_qr.py`,
 * `r2_base_qr.py`; brief §8.4-8.5): keep an unconstrained Z per rotation, use R = Q(QR(Z)) with
 * diag(Rqr) > 0, minimise the Whip loss of the rotated cached activations by SGD with momentum
 * (v ← μv + ∇_Z, Z ← Z − lr·v) through the analytic QR backward. No Cayley step, no retraction:
 * R is orthogonal by construction.
 *
 * Loop: per epoch, draw a seeded random subset (`sampleRatio`) of the samples, shuffle it, cut it
 * into batches of `batchSize` samples, average the gradient over `gradientAccumulation` batches,
 * step. Intended behaviour where the official loops have quirks (brief §8.5): the subset is really
 * random per epoch, and a partial accumulation at the end of an epoch still steps (the official R2
 * defaults never step at all).
 */
import { createRng, throwIfAborted } from '@x/core';
import type { Kernels } from '@x/kernels-wasm';
import { QuantError } from '../errors';
import { assertIntegerInRange, assertNumberInRange } from '../internal/validate';
import { householderQr } from '../linalg/householder-qr';
import { factorHadamard } from '../rotation/hadamard-factors';
import { createRandomHadamard } from '../rotation/random-hadamard';
import { createRandomOrthogonal } from '../rotation/random-orthogonal';
import type { Matrix, ProgressCallback } from '../types';
import { qrOrthBackward } from './qr-orth-backward';
import { qrOrthBackwardKernels } from './qr-orth-backward-kernels';
import { assertWhipShapes, evaluateWhip } from './whip-loss';
import { evaluateWhipKernels } from './whip-loss-kernels';

/** How the unconstrained Z (hence R) starts. */
export type RotationInit = 'auto' | 'random-hadamard' | 'random-orthogonal' | 'identity';

export interface WhipTrainingOptions {
  /** SGD learning rate. */
  learningRate?: number;
  /** SGD momentum μ. @defaultValue 0.9 */
  momentum?: number;
  /** Passes over the (sub-sampled) data. @defaultValue 10 */
  epochs?: number;
  /** Samples per batch. @defaultValue 64 */
  batchSize?: number;
  /** Fraction of the samples drawn for each epoch. */
  sampleRatio?: number;
  /** Batches averaged per optimizer step. */
  gradientAccumulation?: number;
  /** Cap on tokens per batch (seeded subsample), for CPU budgets; 0 = all tokens. @defaultValue 0 */
  maxTokensPerBatch?: number;
  /**
   * Start point: `'random-hadamard'` (the paper's Z0; one matrix repeated for every rotation),
   * `'random-orthogonal'`, `'identity'`, or `'auto'` = random Hadamard when the size has one, else
   * random orthogonal (recorded in `warnings`). @defaultValue 'auto'
   */
  init?: RotationInit;
  /** Seed of the init, the epoch subsets and token subsampling. @defaultValue 0 */
  seed?: number;
  /** Phase `calibrate-rotation`, once per optimizer step. */
  onProgress?: ProgressCallback;
  /** Checked before every batch; aborting throws `X_ABORTED`. */
  signal?: AbortSignal;
  /**
   * @x/kernels-wasm instance (`getKernels()`): the loss and gradient products (X·R, Xᵀ·G) then run on its
   * SIMD GEMM in float32 (`evaluateWhipKernels`) instead of the fp64 TS loops. QR and its backward stay fp64.
   */
  kernels?: Kernels;
}

/** Control arguments of `trainWhipRotations` (not part of the echoed options). */
export interface WhipTrainingControl {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  kernels?: Kernels;
}

export interface ResolvedWhipTrainingOptions {
  learningRate: number;
  momentum: number;
  epochs: number;
  batchSize: number;
  sampleRatio: number;
  gradientAccumulation: number;
  maxTokensPerBatch: number;
  init: RotationInit;
  seed: number;
}

export interface WhipTrainingResult {
  /** The learned orthogonal rotations, size x size each (fp64). */
  rotations: Matrix<Float64Array>[];
  /** The rotations the optimisation started from. */
  initialRotations: Matrix<Float64Array>[];
  /** Mini-batch Whip loss at each optimizer step (before the step). */
  lossHistory: number[];
  steps: number;
  /** The init actually used (`'auto'` resolved). */
  initUsed: Exclude<RotationInit, 'auto'>;
  warnings: string[];
  options: ResolvedWhipTrainingOptions;
}

export function resolveWhipTrainingOptions(
  options: WhipTrainingOptions,
  defaults: ResolvedWhipTrainingOptions,
): ResolvedWhipTrainingOptions {
  const resolved: ResolvedWhipTrainingOptions = {
    learningRate: options.learningRate ?? defaults.learningRate,
    momentum: options.momentum ?? defaults.momentum,
    epochs: options.epochs ?? defaults.epochs,
    batchSize: options.batchSize ?? defaults.batchSize,
    sampleRatio: options.sampleRatio ?? defaults.sampleRatio,
    gradientAccumulation: options.gradientAccumulation ?? defaults.gradientAccumulation,
    maxTokensPerBatch: options.maxTokensPerBatch ?? defaults.maxTokensPerBatch,
    init: options.init ?? defaults.init,
    seed: options.seed ?? defaults.seed,
  };
  assertNumberInRange(resolved.learningRate, 'learningRate', 0, 1e6);
  assertNumberInRange(resolved.momentum, 'momentum', 0, 1);
  assertIntegerInRange(resolved.epochs, 'epochs', 0, 1e6);
  assertIntegerInRange(resolved.batchSize, 'batchSize', 1, 1e9);
  assertNumberInRange(resolved.sampleRatio, 'sampleRatio', Number.MIN_VALUE, 1);
  assertIntegerInRange(resolved.gradientAccumulation, 'gradientAccumulation', 1, 1e6);
  assertIntegerInRange(resolved.maxTokensPerBatch, 'maxTokensPerBatch', 0, 2 ** 31);
  if (!['auto', 'random-hadamard', 'random-orthogonal', 'identity'].includes(resolved.init)) {
    throw new QuantError('QUANT_INVALID_OPTION', `unknown init ${String(resolved.init)}`, {
      details: { option: 'init', value: resolved.init },
    });
  }
  return resolved;
}

function initialRotation(
  size: number,
  init: RotationInit,
  seed: number,
  warnings: string[],
): { matrix: Float64Array; used: Exclude<RotationInit, 'auto'> } {
  let choice = init;
  if (choice === 'auto') {
    try {
      factorHadamard(size);
      choice = 'random-hadamard';
    } catch {
      warnings.push(`no Hadamard matrix of size ${size}: started from a random orthogonal rotation`);
      choice = 'random-orthogonal';
    }
  }
  if (choice === 'random-hadamard')
    return { matrix: createRandomHadamard(size, { seed }).matrix.data, used: choice };
  if (choice === 'random-orthogonal')
    return { matrix: createRandomOrthogonal(size, { seed }).data, used: choice };
  const e = new Float64Array(size * size);
  for (let i = 0; i < size; i++) e[i * size + i] = 1;
  return { matrix: e, used: 'identity' };
}

function shuffle(values: number[], next: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
}

/**
 * Learns `count` rotations of `size` x `size` on `samples` (each [tokens, heads·size]; see
 * `evaluateWhip` for the head-to-rotation map) with fully resolved options.
 */
export function trainWhipRotations(
  samples: readonly Matrix[],
  size: number,
  count: number,
  options: ResolvedWhipTrainingOptions,
  control: WhipTrainingControl = {},
): WhipTrainingResult {
  const warnings: string[] = [];
  if (samples.length === 0) {
    throw new QuantError('QUANT_SHAPE_MISMATCH', 'rotation calibration needs at least one sample', {
      details: { argument: 'samples' },
    });
  }
  const start = initialRotation(size, options.init, options.seed, warnings);
  // Z0 = R0 (orthogonal, so QR(Z0) = R0 · I); R2 repeats one matrix for every KV head (brief §8.4).
  const z = Array.from({ length: count }, () => Float64Array.from(start.matrix));
  const initialRotations = z.map((m) => ({ rows: size, cols: size, data: Float64Array.from(m) }));
  assertWhipShapes(samples, initialRotations);
  const velocity = z.map(() => new Float64Array(size * size));
  const rng = createRng(options.seed + 1);
  const lossHistory: number[] = [];
  const subset = Math.max(1, Math.round(options.sampleRatio * samples.length));
  const batchesPerEpoch = Math.ceil(subset / options.batchSize);
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / options.gradientAccumulation);
  const totalSteps = stepsPerEpoch * options.epochs;
  let steps = 0;

  const factor = () => z.map((m) => householderQr({ rows: size, cols: size, data: m }));
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = Array.from({ length: samples.length }, (_, i) => i);
    shuffle(order, rng.next);
    const chosen = order.slice(0, subset);
    const accumulated = z.map(() => new Float64Array(size * size));
    let accumulatedBatches = 0;
    let accumulatedLoss = 0;
    for (let b = 0; b < batchesPerEpoch; b++) {
      throwIfAborted(control.signal, 'calibrate-rotation');
      const batch = chosen.slice(b * options.batchSize, (b + 1) * options.batchSize).map((i) => samples[i]);
      const indices = subsampleTokens(batch, options.maxTokensPerBatch, rng.next);
      const qr = factor();
      const rotations = qr.map((f) => f.q);
      const evaluation = control.kernels
        ? evaluateWhipKernels(control.kernels, batch, rotations, true, indices)
        : evaluateWhip(batch, rotations, true, indices);
      for (let g = 0; g < count; g++) {
        const dz = control.kernels
          ? qrOrthBackwardKernels(control.kernels, qr[g].q.data, qr[g].r.data, evaluation.gradients![g], size)
          : qrOrthBackward(qr[g].q.data, qr[g].r.data, evaluation.gradients![g], size);
        const acc = accumulated[g];
        for (let i = 0; i < acc.length; i++) acc[i] += dz[i];
      }
      accumulatedBatches++;
      accumulatedLoss += evaluation.loss;
      const last = b === batchesPerEpoch - 1;
      if (accumulatedBatches === options.gradientAccumulation || last) {
        for (let g = 0; g < count; g++) {
          const v = velocity[g];
          const acc = accumulated[g];
          const zg = z[g];
          for (let i = 0; i < v.length; i++) {
            v[i] = options.momentum * v[i] + acc[i] / accumulatedBatches;
            zg[i] -= options.learningRate * v[i];
          }
          acc.fill(0);
        }
        lossHistory.push(accumulatedLoss / accumulatedBatches);
        accumulatedBatches = 0;
        accumulatedLoss = 0;
        steps++;
        control.onProgress?.({ phase: 'calibrate-rotation', done: steps, total: totalSteps });
      }
    }
  }
  const rotations = factor().map((f) => f.q);
  return { rotations, initialRotations, lossHistory, steps, initUsed: start.used, warnings, options };
}

/** Per-sample token rows to use so that a batch holds at most `max` tokens (0 = all). */
function subsampleTokens(
  batch: readonly Matrix[],
  max: number,
  next: () => number,
): (Uint32Array | undefined)[] | undefined {
  const total = batch.reduce((s, x) => s + x.rows, 0);
  if (max === 0 || total <= max) return undefined;
  return batch.map((x) => {
    const keep = Math.max(1, Math.round((x.rows * max) / total));
    const rows = Array.from({ length: x.rows }, (_, i) => i);
    shuffle(rows, next);
    return Uint32Array.from(rows.slice(0, keep).sort((a, b) => a - b));
  });
}
