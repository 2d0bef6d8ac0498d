/**
 * DartQuant's calibration on a graph (brief §8.2): run the norm-fused, unrotated model on the calibration
 * sequences, keep the q_proj and up_proj inputs of every layer (R1 data, one sample per sequence, layer and
 * module) and the o_proj inputs per layer (R2 data), then learn R1 globally and R2 per layer.
 *
 * Streaming (`captureBlocks`): the model runs one block at a time; R2 of layer l is learned as soon as block
 * l has run and its o_proj inputs are dropped; of each R1 sample only `captureTokensPerSample` seeded random
 * token rows are kept (the training samples tokens anyway: brief §8.5, a 10% subset of the samples per
 * epoch and, on CPU, a token cap per batch), so no more than one block's activations plus the R1 subset is
 * ever held.
 */
import { type Backend, createRng, type DecoderAnatomy, type OnnxModel } from '@x/core';
import type { Kernels } from '@x/kernels-wasm';
import { captureBlocks } from '../calibrate/capture-blocks';
import { calibrateR1 } from '../dartquant/calibrate-r1';
import { calibrateR2 } from '../dartquant/calibrate-r2';
import type { WhipTrainingOptions } from '../dartquant/train-whip-rotations';
import { evaluateWhip } from '../dartquant/whip-loss';
import { evaluateWhipKernels } from '../dartquant/whip-loss-kernels';
import type { Matrix, ProgressCallback } from '../types';
import type { Rotations } from './choose-rotations';

export interface DartQuantReport {
  r1: {
    initUsed: string;
    steps: number;
    whipBefore: number;
    whipAfter: number;
    samples: number;
    /** Token rows kept per R1 sample (all when the sample was shorter than the budget). */
    tokensPerSample: number | 'all';
  };
  r2: { initUsed: string; steps: number; whipBefore: number; whipAfter: number }[];
  warnings: string[];
}

/** `rows` of x picked by a seeded shuffle (sorted), copied out so the captured tensor can be freed. */
function keepRows(x: Matrix<Float32Array>, budget: number, next: () => number): Matrix<Float32Array> {
  if (budget === 0 || x.rows <= budget)
    return { rows: x.rows, cols: x.cols, data: Float32Array.from(x.data) };
  const order = Array.from({ length: x.rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rows = order.slice(0, budget).sort((a, b) => a - b);
  const data = new Float32Array(budget * x.cols);
  rows.forEach((r, i) => {
    data.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols);
  });
  return { rows: budget, cols: x.cols, data };
}

export async function learnDartQuantRotations(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  backend: Backend,
  sequences: readonly (readonly number[])[],
  options: {
    seed: number;
    r1?: WhipTrainingOptions;
    r2?: WhipTrainingOptions;
    /** Token rows kept per captured R1 sample (seeded); 0 keeps all. */
    captureTokensPerSample: number;
    kernels?: Kernels;
    onProgress?: ProgressCallback;
    signal?: AbortSignal;
  },
): Promise<{ rotations: Rotations; report: DartQuantReport }> {
  const { kernels } = options;
  const whip = (samples: readonly Matrix[], rotations: readonly Matrix[]) =>
    (kernels
      ? evaluateWhipKernels(kernels, samples, rotations, false)
      : evaluateWhip(samples, rotations, false)
    ).loss;
  // perLayer[l][s] = [q input, up input]; flattened sequence-major below (the order of the samples).
  const perLayer: Matrix<Float32Array>[][][] = [];
  const r2: Matrix<Float64Array>[][] = [];
  const r2Reports: DartQuantReport['r2'] = [];
  const warnings: string[] = [];
  const sampler = createRng(options.seed + 0x5eed);
  await captureBlocks(
    model,
    anatomy,
    backend,
    sequences,
    (layer) => [layer.q.input, layer.up.input, layer.o.input],
    (l, values) => {
      const layer = anatomy.layers[l];
      const q = values.get(layer.q.input) as Matrix<Float32Array>[];
      const up = values.get(layer.up.input) as Matrix<Float32Array>[];
      perLayer.push(
        q.map((x, s) => [
          keepRows(x, options.captureTokensPerSample, sampler.next),
          keepRows(up[s], options.captureTokensPerSample, sampler.next),
        ]),
      );
      const oInputs = values.get(layer.o.input) as Matrix<Float32Array>[];
      const result = calibrateR2(oInputs, {
        seed: options.seed + 1 + l,
        ...options.r2,
        numHeads: layer.attention.numHeads,
        numKvHeads: layer.attention.numKvHeads,
        signal: options.signal,
        kernels,
      });
      warnings.push(...result.warnings.map((w) => `layer ${l} R2: ${w}`));
      r2Reports.push({
        initUsed: result.initUsed,
        steps: result.steps,
        whipBefore: whip(oInputs, result.initialRotations),
        whipAfter: whip(oInputs, result.rotations),
      });
      r2.push(result.rotations);
      options.onProgress?.({ phase: 'calibrate-r2', done: l + 1, total: anatomy.layers.length });
    },
    { phase: 'capture-rotation-data', onProgress: options.onProgress, signal: options.signal },
  );
  const r1Samples = sequences.flatMap((_, s) => perLayer.flatMap((layer) => layer[s]));
  perLayer.length = 0;
  const r1 = calibrateR1(r1Samples, {
    seed: options.seed,
    ...options.r1,
    onProgress: options.onProgress,
    signal: options.signal,
    kernels,
  });
  warnings.push(...r1.warnings);
  return {
    rotations: { r1: r1.rotation, r2 },
    report: {
      r1: {
        initUsed: r1.initUsed,
        steps: r1.steps,
        whipBefore: whip(r1Samples, [r1.initialRotation]),
        whipAfter: whip(r1Samples, [r1.rotation]),
        samples: r1Samples.length,
        tokensPerSample: options.captureTokensPerSample === 0 ? 'all' : options.captureTokensPerSample,
      },
      r2: r2Reports,
      warnings,
    },
  };
}
