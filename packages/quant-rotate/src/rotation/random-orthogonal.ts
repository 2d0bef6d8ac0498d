/**
 * A Haar-random orthogonal matrix: Q of the QR factorisation of an n x n standard Gaussian matrix,
 * with the sign fix Q ← Q diag(sign(diag R)) (Mezzadri 2007 §5; SpinQuant's `random_orthogonal_matrix`
 * uses the same recipe). Seeded through @x/core's `createRng`.
 */
import { createRng } from '@x/core';
import { assertIntegerInRange } from '../internal/validate';
import { householderQr } from '../linalg/householder-qr';
import type { Matrix } from '../types';

export interface RandomOrthogonalOptions {
  /** Seed of the Gaussian draw. @defaultValue 0 */
  seed?: number;
}

/** Seeded Haar-random orthogonal n x n matrix (fp64). */
export function createRandomOrthogonal(
  n: number,
  options: RandomOrthogonalOptions = {},
): Matrix<Float64Array> {
  assertIntegerInRange(n, 'n', 1, 1 << 15);
  const rng = createRng(options.seed ?? 0);
  const g = new Float64Array(n * n);
  for (let i = 0; i < g.length; i++) g[i] = rng.normal();
  return householderQr({ rows: n, cols: n, data: g }).q;
}
