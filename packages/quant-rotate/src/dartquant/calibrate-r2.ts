/**
 * DartQuant R2 calibration for one layer (brief §8.2-8.5): one hd x hd rotation per KV head, learned on
 * the o_proj inputs [tokens, heads·hd]; query head h uses the rotation of KV head floor(h / g).
 *
 * Defaults as in the README/paper: SGD momentum 0.9, lr 1e-3, 10 epochs, batches of 64 samples, all
 * samples every epoch, gradient accumulation 2 (one step per epoch at 128 samples).
 */
import { QuantError } from '../errors';
import { assertMatrix } from '../internal/validate';
import type { Matrix } from '../types';
import {
  type ResolvedWhipTrainingOptions,
  resolveWhipTrainingOptions,
  trainWhipRotations,
  type WhipTrainingOptions,
  type WhipTrainingResult,
} from './train-whip-rotations';

export const r2Defaults: ResolvedWhipTrainingOptions = {
  learningRate: 1e-3,
  momentum: 0.9,
  epochs: 10,
  batchSize: 64,
  sampleRatio: 1,
  gradientAccumulation: 2,
  maxTokensPerBatch: 0,
  init: 'auto',
  seed: 0,
};

export interface R2CalibrationOptions extends WhipTrainingOptions {
  /** Query heads. Required. */
  numHeads: number;
  /** KV heads (GQA); must divide numHeads. @defaultValue numHeads */
  numKvHeads?: number;
}

/** Learns the per-KV-head R2 of one layer from o_proj input samples, each [tokens, numHeads·hd]. */
export function calibrateR2(samples: readonly Matrix[], options: R2CalibrationOptions): WhipTrainingResult {
  samples.forEach((x, i) => {
    assertMatrix(x, `samples[${i}]`);
  });
  const numHeads = options?.numHeads;
  const numKvHeads = options?.numKvHeads ?? numHeads;
  const cols = samples[0]?.cols ?? 0;
  if (
    !Number.isInteger(numHeads) ||
    numHeads < 1 ||
    !Number.isInteger(numKvHeads) ||
    numKvHeads < 1 ||
    numHeads % numKvHeads !== 0 ||
    cols % numHeads !== 0
  ) {
    throw new QuantError(
      'QUANT_INVALID_OPTION',
      `calibrateR2: numHeads ${numHeads} must divide the ${cols} channels and be a multiple of numKvHeads ${numKvHeads}`,
      { details: { option: 'numHeads', numHeads, numKvHeads, cols } },
    );
  }
  const resolved = resolveWhipTrainingOptions(options, r2Defaults);
  return trainWhipRotations(samples, cols / numHeads, numKvHeads, resolved, options);
}
