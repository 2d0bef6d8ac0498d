/**
 * R1 and per-layer R2 for each rotation method (brief §7.2-7.3, §8):
 * - `hadamard` (QuaRot): R1 = seeded random Hadamard diag(s)·H_dᵀ, R2 = exact H_hd for every KV head.
 * - `orthogonal`: R1 and one R2 per layer (shared by its KV heads, as SpinQuant's init) Haar-random.
 * - `dartquant`: both learned with the Whip loss on captured activations (see `learnDartQuantRotations`).
 */
import type { DecoderAnatomy } from '@x/core';
import { createHadamard } from '../rotation/hadamard';
import { createRandomHadamard } from '../rotation/random-hadamard';
import { createRandomOrthogonal } from '../rotation/random-orthogonal';
import type { Matrix } from '../types';

export interface Rotations {
  r1: Matrix<Float64Array>;
  /** r2[layer][kvHead]. */
  r2: Matrix<Float64Array>[][];
}

export function chooseFixedRotations(
  anatomy: DecoderAnatomy,
  method: 'hadamard' | 'orthogonal',
  seed: number,
): Rotations {
  const { hiddenSize: d, headDim: hd, numLayers, numKvHeads } = anatomy.config;
  if (method === 'hadamard') {
    const r1 = createRandomHadamard(d, { seed }).matrix;
    const h = createHadamard(hd);
    return { r1, r2: Array.from({ length: numLayers }, () => Array.from({ length: numKvHeads }, () => h)) };
  }
  const r1 = createRandomOrthogonal(d, { seed });
  return {
    r1,
    r2: Array.from({ length: numLayers }, (_, l) => {
      const r = createRandomOrthogonal(hd, { seed: seed + 1 + l });
      return Array.from({ length: numKvHeads }, () => r);
    }),
  };
}
