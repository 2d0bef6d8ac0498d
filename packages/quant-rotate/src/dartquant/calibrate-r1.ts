/**
 * DartQuant R1 calibration (brief §8.2, §8.5): one global d x d rotation of the residual stream,
 * learned on the inputs of q_proj and up_proj of every layer (norm-fused, unrotated model).
 *
 * Defaults as coded/published: SGD momentum 0.9, lr 1e-3 (code default; the paper's Table 23 uses
 * 2e-3 for Llama-2-7B, 8e-3 for Llama-3-8B), 10 epochs, batches of 64 samples, 10% of the samples
 * per epoch (`train_subset_size 0.1`), no accumulation — about 100 steps at the paper's scale.
 */
import { assertMatrix } from '../internal/validate';
import type { Matrix } from '../types';
import {
  type ResolvedWhipTrainingOptions,
  resolveWhipTrainingOptions,
  trainWhipRotations,
  type WhipTrainingOptions,
  type WhipTrainingResult,
} from './train-whip-rotations';

export const r1Defaults: ResolvedWhipTrainingOptions = {
  learningRate: 1e-3,
  momentum: 0.9,
  epochs: 10,
  batchSize: 64,
  sampleRatio: 0.1,
  gradientAccumulation: 1,
  maxTokensPerBatch: 0,
  init: 'auto',
  seed: 0,
};

export interface R1CalibrationResult extends Omit<WhipTrainingResult, 'rotations' | 'initialRotations'> {
  /** R1, d x d orthogonal (fp64): the residual stream becomes h R1. */
  rotation: Matrix<Float64Array>;
  initialRotation: Matrix<Float64Array>;
}

/** Learns R1 from residual-stream samples, each [tokens, d]. */
export function calibrateR1(
  samples: readonly Matrix[],
  options: WhipTrainingOptions = {},
): R1CalibrationResult {
  samples.forEach((x, i) => {
    assertMatrix(x, `samples[${i}]`);
  });
  const d = samples[0]?.cols ?? 0;
  const resolved = resolveWhipTrainingOptions(options, r1Defaults);
  const { rotations, initialRotations, ...rest } = trainWhipRotations(samples, d, 1, resolved, options);
  return { ...rest, rotation: rotations[0], initialRotation: initialRotations[0] };
}
