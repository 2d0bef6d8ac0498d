/**
 * DartQuant's calibration on a graph (brief §8.2): run the norm-fused, unrotated model on the calibration
 * sequences, keep the q_proj and up_proj inputs of every layer (R1 data, one sample per sequence, layer and
 * module) and the o_proj inputs per layer (R2 data), then learn R1 globally and R2 per layer.
 */
import type { Backend, DecoderAnatomy, OnnxModel } from '@x/core';
import { captureValues } from '../calibrate/capture-values';
import { calibrateR1 } from '../dartquant/calibrate-r1';
import { calibrateR2 } from '../dartquant/calibrate-r2';
import type { WhipTrainingOptions } from '../dartquant/train-whip-rotations';
import { evaluateWhip } from '../dartquant/whip-loss';
import type { Matrix, ProgressCallback } from '../types';
import type { Rotations } from './choose-rotations';

export interface DartQuantReport {
  r1: { initUsed: string; steps: number; whipBefore: number; whipAfter: number; samples: number };
  r2: { initUsed: string; steps: number; whipBefore: number; whipAfter: number }[];
  warnings: string[];
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
    onProgress?: ProgressCallback;
    signal?: AbortSignal;
  },
): Promise<{ rotations: Rotations; report: DartQuantReport }> {
  const r1Samples: Matrix[] = [];
  const r2Samples: Matrix[][] = anatomy.layers.map(() => []);
  const values = anatomy.layers.flatMap((layer) => [layer.q.input, layer.up.input, layer.o.input]);
  await captureValues(
    model,
    anatomy,
    backend,
    sequences,
    values,
    (captured) => {
      anatomy.layers.forEach((layer, l) => {
        r1Samples.push(captured.get(layer.q.input)!, captured.get(layer.up.input)!);
        r2Samples[l].push(captured.get(layer.o.input)!);
      });
    },
    { phase: 'capture-rotation-data', onProgress: options.onProgress, signal: options.signal },
  );
  const warnings: string[] = [];
  const r1 = calibrateR1(r1Samples, {
    seed: options.seed,
    ...options.r1,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  warnings.push(...r1.warnings);
  const r2Reports: DartQuantReport['r2'] = [];
  const r2 = anatomy.layers.map((layer, l) => {
    const result = calibrateR2(r2Samples[l], {
      seed: options.seed + 1 + l,
      ...options.r2,
      numHeads: layer.attention.numHeads,
      numKvHeads: layer.attention.numKvHeads,
      signal: options.signal,
    });
    warnings.push(...result.warnings.map((w) => `layer ${l} R2: ${w}`));
    r2Reports.push({
      initUsed: result.initUsed,
      steps: result.steps,
      whipBefore: evaluateWhip(r2Samples[l], result.initialRotations, false).loss,
      whipAfter: evaluateWhip(r2Samples[l], result.rotations, false).loss,
    });
    options.onProgress?.({ phase: 'calibrate-r2', done: l + 1, total: anatomy.layers.length });
    return result.rotations;
  });
  return {
    rotations: { r1: r1.rotation, r2 },
    report: {
      r1: {
        initUsed: r1.initUsed,
        steps: r1.steps,
        whipBefore: evaluateWhip(r1Samples, [r1.initialRotation], false).loss,
        whipAfter: evaluateWhip(r1Samples, [r1.rotation], false).loss,
        samples: r1Samples.length,
      },
      r2: r2Reports,
      warnings,
    },
  };
}
