import { describe, expect, it } from 'vitest';
import { createRng, randomMatrix } from '../../test/helpers/layers';
import { isPruneError } from '../errors';
import { centeredGram, linearCka } from './cka';
import { allocateLosa, computeLosaImportance, losaDelta } from './losa';
import { allocateOwl, computeOutlierRatio } from './owl';
import { allocateUniform } from './uniform';

const mean = (values: ArrayLike<number>) => Array.from(values).reduce((a, b) => a + b, 0) / values.length;

describe('uniform', () => {
  it('gives every layer the target', () => {
    expect(Array.from(allocateUniform(3, 0.5))).toEqual([0.5, 0.5, 0.5]);
    expect(() => allocateUniform(3, 1)).toThrow(/sparsity/);
  });
});

describe('OWL', () => {
  it('outlier ratio counts scores above M times the block mean, in percent', () => {
    // mean of [1,1,1,1,1,1,1,1,1,11] = 2; M = 5 -> threshold 10: one outlier of ten.
    expect(
      computeOutlierRatio([
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 11],
      ]),
    ).toBe(10);
    expect(
      computeOutlierRatio(
        [
          [1, 1, 1, 1, 1],
          [1, 1, 1, 1, 11],
        ],
        6,
      ),
    ).toBe(0);
  });

  it('matches the formula, preserves the mean, spans [S−λ, S+λ], and gives more outliers more density', () => {
    const ratios = [3, 7, 5, 1, 9];
    const s = 0.7;
    const lambda = 0.08;
    const result = allocateOwl(ratios, { sparsity: s, lambda });
    // Re-derivation (brief §6): normalized to [0, 2λ], shifted to mean density 1−S, sparsity = 1 − density.
    const r = ratios.map((d) => ((d - 1) / 8) * 2 * lambda);
    const m = mean(r);
    r.forEach((value, l) => {
      expect(result[l]).toBeCloseTo(1 - (value - m + (1 - s)), 12);
    });
    expect(mean(result)).toBeCloseTo(s, 12);
    expect(Math.max(...result) - Math.min(...result)).toBeCloseTo(2 * lambda, 12);
    expect(result[4]).toBeLessThan(result[3]); // layer with most outliers is densest
    expect(Array.from(allocateOwl([2, 2, 2], { sparsity: 0.5 }))).toEqual([0.5, 0.5, 0.5]);
    expect(allocateOwl([0, 10], { sparsity: 0.05, lambda: 0.08 })[1]).toBe(0.01); // floored
  });
});

describe('LoSA', () => {
  it('linear CKA is 1 for identical or rotated/scaled features and matches an explicit H K H reference', () => {
    const rng = createRng(31);
    const samples = 6;
    const dim = 5;
    const a = randomMatrix(rng, samples, dim);
    const b = randomMatrix(rng, samples, dim);
    expect(linearCka(a, a, samples)).toBeCloseTo(1, 12);
    const scaled = Float32Array.from(a, (v) => 3 * v);
    expect(linearCka(a, scaled, samples)).toBeCloseTo(1, 6);
    // Orthogonal map on the feature axis: swap and negate two features.
    const rotated = Float32Array.from(a);
    for (let s = 0; s < samples; s++) {
      rotated[s * dim] = -a[s * dim + 1];
      rotated[s * dim + 1] = a[s * dim];
    }
    expect(linearCka(a, rotated, samples)).toBeCloseTo(1, 6);
    // Reference: H = I − 11ᵀ/s, explicit products.
    const gram = (f: Float32Array) =>
      Array.from({ length: samples }, (_, i) =>
        Array.from({ length: samples }, (_, j) => {
          let sum = 0;
          for (let d = 0; d < dim; d++) sum += f[i * dim + d] * f[j * dim + d];
          return sum;
        }),
      );
    const h = Array.from({ length: samples }, (_, i) =>
      Array.from({ length: samples }, (_, j) => (i === j ? 1 : 0) - 1 / samples),
    );
    const multiply = (x: number[][], y: number[][]) =>
      x.map((row) => y[0].map((_, j) => row.reduce((sum, v, k) => sum + v * y[k][j], 0)));
    const centered = (f: Float32Array) => multiply(multiply(h, gram(f)), h);
    const ca = centered(a);
    const cb = centered(b);
    const dot = (x: number[][], y: number[][]) => x.flat().reduce((sum, v, k) => sum + v * y.flat()[k], 0);
    expect(linearCka(a, b, samples)).toBeCloseTo(dot(ca, cb) / Math.sqrt(dot(ca, ca) * dot(cb, cb)), 10);
    expect(Array.from(centeredGram(a, samples))).toEqual(
      expect.arrayContaining([expect.closeTo(ca[0][0], 9)]),
    );
  });

  it('importance is exp(−β·normalized similarity sum): a layer unlike the others is the most important', () => {
    const rng = createRng(32);
    const samples = 8;
    const base = randomMatrix(rng, samples, 12);
    const nearly = (k: number) => Float32Array.from(base, (v, q) => v + 0.05 * k * Math.sin(q));
    const odd = randomMatrix(rng, samples, 12);
    const importance = computeLosaImportance([nearly(0), nearly(1), odd, nearly(2)], samples);
    expect(Math.max(...importance)).toBe(importance[2]);
    const similarity = [0, 1, 2, 3].map((l) =>
      [0, 1, 2, 3]
        .filter((m) => m !== l)
        .reduce(
          (sum, m) =>
            sum +
            linearCka(
              [nearly(0), nearly(1), odd, nearly(2)][l],
              [nearly(0), nearly(1), odd, nearly(2)][m],
              samples,
            ),
          0,
        ),
    );
    const totalSimilarity = similarity.reduce((a, b) => a + b, 0);
    similarity.forEach((s, l) => {
      expect(importance[l]).toBeCloseTo(Math.exp(-s / totalSimilarity), 12);
    });
  });

  it('allocation solves the linear program: mean kept, bounds kept, no feasible transfer lowers Σ x·imp', () => {
    const importance = [0.9, 0.3, 0.5, 0.7, 0.1];
    const s = 0.6;
    const delta = losaDelta(s);
    expect(delta).toBe(0.02);
    const x = allocateLosa(importance, { sparsity: s });
    expect(mean(x)).toBeCloseTo(s, 12);
    for (const value of x) {
      expect(value).toBeGreaterThanOrEqual(s - delta - 1e-12);
      expect(value).toBeLessThanOrEqual(s + delta + 1e-12);
    }
    // Optimality (LP): moving ε of sparsity from layer a to layer b must never lower the objective.
    for (let a = 0; a < x.length; a++) {
      for (let b = 0; b < x.length; b++) {
        const canMove = a !== b && x[a] > s - delta + 1e-12 && x[b] < s + delta - 1e-12;
        if (canMove) expect(importance[b] - importance[a]).toBeGreaterThanOrEqual(0);
      }
    }
    expect(x[0]).toBeCloseTo(s - delta, 12); // most important: least sparse
    expect(x[4]).toBeCloseTo(s + delta, 12);
    expect(x[2]).toBeCloseTo(s, 12); // odd count: the middle layer sits at the target
    try {
      allocateLosa(importance, { sparsity: 0.6, delta: 0.7 });
      expect.unreachable();
    } catch (error) {
      expect(isPruneError(error) && error.code).toBe('PRUNE_INVALID_OPTION');
    }
  });
});
