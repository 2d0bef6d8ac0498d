/**
 * QuaRot's randomised Hadamard rotation for R1 (arXiv 2404.00456 §4, `random_hadamard_matrix`;
 * brief §7.3): Q = diag(s) · H_nᵀ with s ∈ {±1}^n i.i.d. from a seeded generator, so a row vector
 * maps as x → (x ⊙ s) H_nᵀ. Orthogonal because H_n is.
 */
import { createRng } from '@x/core';
import type { Matrix } from '../types';
import { createHadamard } from './hadamard';

export interface RandomHadamardOptions {
  /** Seed of the sign vector. @defaultValue 0 */
  seed?: number;
}

export interface RandomHadamardResult {
  /** Q = diag(s) H_nᵀ, n x n fp64. */
  matrix: Matrix<Float64Array>;
  /** The signs s. */
  signs: Int8Array;
  seed: number;
}

/** Seeded random Hadamard rotation of size n. Throws `QUANT_UNSUPPORTED_HADAMARD_SIZE`. */
export function createRandomHadamard(n: number, options: RandomHadamardOptions = {}): RandomHadamardResult {
  const seed = options.seed ?? 0;
  const rng = createRng(seed);
  const signs = new Int8Array(n);
  for (let i = 0; i < n; i++) signs[i] = rng.sign();
  const h = createHadamard(n).data;
  const q = new Float64Array(n * n);
  // Q[i, j] = s_i · H[j, i]
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) q[i * n + j] = signs[i] * h[j * n + i];
  return { matrix: { rows: n, cols: n, data: q }, signs, seed };
}
