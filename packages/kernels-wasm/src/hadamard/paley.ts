/**
 * Paley's constructions of Hadamard matrices (R. E. A. C. Paley, "On orthogonal matrices",
 * J. Math. Phys. 12 (1933) 311-320). Q is the Jacobsthal matrix Q[i][j] = chi(x_j - x_i) of GF(q).
 *
 * - Paley I, q = 3 (mod 4): Q is skew; S = [[0, 1^T], [-1, Q]], H = I + S, order q + 1.
 * - Paley II, q = 1 (mod 4): Q is symmetric; C = [[0, 1^T], [1, Q]] is a symmetric conference
 *   matrix and H = C (x) [[1, 1], [1, -1]] + I (x) [[1, -1], [-1, -1]], order 2(q + 1).
 *
 * Matrices are Int8Array, row-major, entries +1/-1.
 */
import { createFiniteField } from './galois-field';

function jacobsthal(q: number): Int8Array {
  const field = createFiniteField(q);
  const out = new Int8Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) out[i * q + j] = field.chi(field.subtract(j, i));
  return out;
}

/** Paley I: order q + 1 for a prime power q = 3 (mod 4). */
export function paleyOne(q: number): Int8Array {
  if (q % 4 !== 3) throw new RangeError(`Paley I needs q = 3 mod 4, got ${q}`);
  const n = q + 1;
  const Q = jacobsthal(q);
  const h = new Int8Array(n * n);
  for (let j = 1; j < n; j++) {
    h[j] = 1;
    h[j * n] = -1;
  }
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) h[(i + 1) * n + (j + 1)] = Q[i * q + j];
  for (let i = 0; i < n; i++) h[i * n + i] = 1;
  return h;
}

/** Paley II: order 2(q + 1) for a prime power q = 1 (mod 4). */
export function paleyTwo(q: number): Int8Array {
  if (q % 4 !== 1) throw new RangeError(`Paley II needs q = 1 mod 4, got ${q}`);
  const m = q + 1;
  const Q = jacobsthal(q);
  const c = new Int8Array(m * m);
  for (let j = 1; j < m; j++) {
    c[j] = 1;
    c[j * m] = 1;
  }
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) c[(i + 1) * m + (j + 1)] = Q[i * q + j];
  const n = 2 * m;
  const h = new Int8Array(n * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const v = c[i * m + j];
      if (i === j) {
        // C[i][i] = 0, so only the identity term: [[1, -1], [-1, -1]].
        h[2 * i * n + 2 * j] = 1;
        h[2 * i * n + 2 * j + 1] = -1;
        h[(2 * i + 1) * n + 2 * j] = -1;
        h[(2 * i + 1) * n + 2 * j + 1] = -1;
      } else {
        h[2 * i * n + 2 * j] = v;
        h[2 * i * n + 2 * j + 1] = v;
        h[(2 * i + 1) * n + 2 * j] = v;
        h[(2 * i + 1) * n + 2 * j + 1] = -v;
      }
    }
  }
  return h;
}
