import { describe, expect, it } from 'vitest';
import { correlatedActivations, createRng, outputError, randomMatrix } from '../../test/helpers/layers';
import { createLayerStatisticsAccumulator, type LayerStatistics } from '../calibrate/layer-statistics';
import { applyMask, rowSparsity } from '../mask/apply';
import { isNmMask } from '../mask/n-m';
import type { SparsityPattern } from '../types';
import { dsnotCyclesForWidth, dsnotSkips, refineMaskDsnot } from './dsnot';
import { wandaMethod } from './wanda';

const rows = 8;
const columns = 32;
const length = 16;

function setup(seed: number, meanScale = 1) {
  const rng = createRng(seed);
  const data = randomMatrix(rng, rows, columns);
  const x = correlatedActivations(rng, 8 * length, columns, { meanScale });
  const accumulator = createLayerStatisticsAccumulator(columns, ['input-norms', 'moments']);
  accumulator.add(x, 8 * length, { samples: 8 });
  return { weight: { data, rows, columns }, x, statistics: accumulator.result() };
}

/**
 * Reference DSnoT by scanning instead of sorted pointers (brief §3.4/§3.5): each cycle, regrow the unused initially-
 * pruned weight with the largest sign(ε)·D/var (a sign-correct one), and prune the unused initially-kept weight with
 * the smallest Wanda score whose contribution has the opposite sign to ε (unstructured), or the not-yet-swapped kept
 * weight with the smallest initial score in the regrown weight's M-block (N:M, with the sign check).
 */
function referenceDsnot(
  data: Float32Array,
  statistics: LayerStatistics,
  initial: Uint8Array,
  pattern: SparsityPattern,
  scores: ArrayLike<number>,
  maxCycles: number,
  threshold: number,
): { mask: Uint8Array; epsilon: number[] } {
  const mask = Uint8Array.from(initial);
  const { sum, variance } = statistics.moments!;
  const norms = statistics.inputSquaredNorms!;
  const epsilons: number[] = [];
  for (let i = 0; i < rows; i++) {
    const at = (j: number) => i * columns + j;
    const d = (j: number) => data[at(j)] * sum[j];
    const g = (j: number) => d(j) / (variance[j] + 1e-12);
    const wanda = (j: number) => Math.abs(data[at(j)]) * Math.sqrt(norms[j]);
    let epsilon = 0;
    for (let j = 0; j < columns; j++) if (initial[at(j)]) epsilon += d(j);
    const sign0 = Math.sign(epsilon);
    const used = new Set<number>();
    for (let cycle = 0; cycle < maxCycles && Math.abs(epsilon) > threshold; cycle++) {
      let grow = -1;
      for (let j = 0; j < columns; j++) {
        if (!initial[at(j)] || used.has(j) || Math.sign(g(j)) !== Math.sign(epsilon)) continue;
        const better = epsilon > 0 ? grow < 0 || g(j) >= g(grow) : grow < 0 || g(j) < g(grow);
        if (better) grow = j;
      }
      if (grow < 0) break;
      let prune = -1;
      if (pattern.kind === 'unstructured') {
        for (let j = 0; j < columns; j++) {
          if (initial[at(j)] || used.has(j) || d(j) * epsilon >= 0) continue;
          if (prune < 0 || wanda(j) < wanda(prune)) prune = j;
        }
        if (prune < 0) break;
      } else {
        const start = grow - (grow % pattern.m);
        for (let j = start; j < start + pattern.m; j++) {
          if (initial[at(j)] || used.has(j)) continue;
          if (prune < 0 || scores[at(j)] < scores[at(prune)]) prune = j;
        }
        if (prune < 0) {
          used.add(grow);
          continue;
        }
        if (Math.sign(epsilon + d(prune) - d(grow)) !== sign0) break;
      }
      used.add(grow);
      used.add(prune);
      mask[at(prune)] = 1;
      mask[at(grow)] = 0;
      epsilon += d(prune) - d(grow);
    }
    epsilons.push(epsilon);
  }
  return { mask, epsilon: epsilons };
}

function recomputedError(data: Float32Array, sum: Float64Array, mask: Uint8Array): number[] {
  return Array.from({ length: rows }, (_, i) => {
    let e = 0;
    for (let j = 0; j < columns; j++) if (mask[i * columns + j]) e += data[i * columns + j] * sum[j];
    return e;
  });
}

describe('dsnot', () => {
  it('unstructured: equals the scanning reference, keeps per-row sparsity, and ε bookkeeping matches', () => {
    const { weight, statistics } = setup(21);
    const pattern = { kind: 'unstructured', sparsity: 0.6 } as const;
    const initial = wandaMethod.prune(weight, statistics, pattern).mask;
    const result = refineMaskDsnot(
      { weight, mask: initial, pattern, statistics },
      { maxCycles: 20, updateThreshold: 0.1 },
    );
    const reference = referenceDsnot(weight.data, statistics, initial, pattern, [], 20, 0.1);
    expect(result.mask).toEqual(reference.mask);
    expect(Array.from(rowSparsity(result.mask, rows, columns))).toEqual(
      Array.from(rowSparsity(initial, rows, columns)),
    );
    const recomputed = recomputedError(weight.data, statistics.moments!.sum, result.mask);
    recomputed.forEach((e, i) => {
      expect(result.errorAfter[i]).toBeCloseTo(e, 9);
      expect(result.errorAfter[i]).toBeCloseTo(reference.epsilon[i], 9);
    });
    expect(result.swaps.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const initialError = recomputedError(weight.data, statistics.moments!.sum, initial);
    initialError.forEach((e, i) => {
      expect(result.errorBefore[i]).toBeCloseTo(e, 9);
    });
  });

  it('lowers the expected error |ε| (default) and, with the sign check, never raises it per row and lowers the output error on mean-dominated inputs', () => {
    const wide = 512;
    const rng = createRng(22);
    const data = randomMatrix(rng, 4, wide);
    const x = correlatedActivations(rng, 4 * 32, wide, { meanScale: 2, rank: 16 });
    const accumulator = createLayerStatisticsAccumulator(wide, ['input-norms', 'moments']);
    accumulator.add(x, 4 * 32, { samples: 4 });
    const statistics = accumulator.result();
    const weight = { data, rows: 4, columns: wide };
    const pattern = { kind: 'unstructured', sparsity: 0.6 } as const;
    const initial = wandaMethod.prune(weight, statistics, pattern).mask;
    const total = (values: Float64Array) => values.reduce((a, b) => a + Math.abs(b), 0);
    const plain = refineMaskDsnot({ weight, mask: initial, pattern, statistics });
    expect(total(plain.errorAfter)).toBeLessThan(total(plain.errorBefore));
    const checked = refineMaskDsnot({ weight, mask: initial, pattern, statistics }, { sameSignCheck: true });
    for (let i = 0; i < 4; i++) {
      expect(Math.abs(checked.errorAfter[i])).toBeLessThanOrEqual(Math.abs(checked.errorBefore[i]));
      expect(Math.sign(checked.errorAfter[i])).toBe(Math.sign(checked.errorBefore[i]));
    }
    expect(total(checked.errorAfter)).toBeLessThan(total(checked.errorBefore) * 0.5);
    expect(Array.from(rowSparsity(checked.mask, 4, wide))).toEqual(Array.from(rowSparsity(initial, 4, wide)));
    const wandaError = outputError(data, applyMask(weight, initial).data, x, 4, wide);
    const dsnotError = outputError(data, applyMask(weight, checked.mask).data, x, 4, wide);
    expect(dsnotError).toBeLessThan(wandaError);
  });

  it.each([
    [2, 4],
    [4, 8],
  ])('%i:%i: equals the reference and the pattern still holds', (n, m) => {
    const { weight, statistics } = setup(23 + n);
    const pattern = { kind: 'nm', n, m } as const;
    const initial = wandaMethod.prune(weight, statistics, pattern).mask;
    const scores = wandaMethod.score(weight, statistics);
    const result = refineMaskDsnot({ weight, mask: initial, pattern, statistics, scores });
    const reference = referenceDsnot(weight.data, statistics, initial, pattern, scores, 50, 0.1);
    expect(result.mask).toEqual(reference.mask);
    expect(isNmMask(result.mask, rows, columns, n, m)).toBe(true);
    expect(result.swaps.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    recomputedError(weight.data, statistics.moments!.sum, result.mask).forEach((e, i) => {
      expect(result.errorAfter[i]).toBeCloseTo(e, 9);
      expect(Math.sign(result.errorAfter[i])).toBe(Math.sign(result.errorBefore[i]) || Math.sign(e));
    });
  });

  it.each([
    [2, 4],
    [4, 8],
  ])(
    "%i:%i with nmPruneCandidate 'opposite-sign': |ε| never grows per row, pattern and bookkeeping hold",
    (n, m) => {
      const { weight, statistics } = setup(40 + n);
      const pattern = { kind: 'nm', n, m } as const;
      const initial = wandaMethod.prune(weight, statistics, pattern).mask;
      const scores = wandaMethod.score(weight, statistics);
      const input = { weight, mask: initial, pattern, statistics, scores };
      const result = refineMaskDsnot(input, { nmPruneCandidate: 'opposite-sign', updateThreshold: 0 });
      expect(isNmMask(result.mask, rows, columns, n, m)).toBe(true);
      expect(result.swaps.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      recomputedError(weight.data, statistics.moments!.sum, result.mask).forEach((e, i) => {
        expect(result.errorAfter[i]).toBeCloseTo(e, 9);
        expect(Math.abs(result.errorAfter[i])).toBeLessThanOrEqual(Math.abs(result.errorBefore[i]) + 1e-12);
      });
      expect(() => refineMaskDsnot(input, { nmPruneCandidate: 'x' as 'opposite-sign' })).toThrow(
        /nmPruneCandidate/,
      );
    },
  );

  it("scaleMaxCycles 'row-width' equals T = round(50 · in / 4096) on a narrow layer; 'none' keeps T", () => {
    const { weight, statistics } = setup(27);
    const pattern = { kind: 'unstructured', sparsity: 0.5 } as const;
    const initial = wandaMethod.prune(weight, statistics, pattern).mask;
    const input = { weight, mask: initial, pattern, statistics };
    const scaledCycles = dsnotCyclesForWidth(50, columns, 'row-width');
    expect(scaledCycles).toBe(Math.max(1, Math.round((50 * columns) / 4096)));
    expect(dsnotCyclesForWidth(50, 8192, 'row-width')).toBe(50);
    expect(dsnotCyclesForWidth(50, 300, 'none')).toBe(50);
    const scaled = refineMaskDsnot(input, { scaleMaxCycles: 'row-width', updateThreshold: 0 });
    expect(scaled.mask).toEqual(refineMaskDsnot(input, { maxCycles: scaledCycles, updateThreshold: 0 }).mask);
    expect(Math.max(...scaled.swaps)).toBeLessThanOrEqual(scaledCycles);
    expect(Math.max(...refineMaskDsnot(input, { updateThreshold: 0 }).swaps)).toBeGreaterThan(scaledCycles);
    expect(() => refineMaskDsnot(input, { scaleMaxCycles: 'x' as 'none' })).toThrow(/scaleMaxCycles/);
  });

  it('zero cycles leave the mask as it was; the skip policy follows skip_layer', () => {
    const { weight, statistics } = setup(26);
    const pattern = { kind: 'unstructured', sparsity: 0.5 } as const;
    const initial = wandaMethod.prune(weight, statistics, pattern).mask;
    expect(refineMaskDsnot({ weight, mask: initial, pattern, statistics }, { maxCycles: 0 }).mask).toEqual(
      initial,
    );
    expect(dsnotSkips('mlp', 'mlp')).toBe(true);
    expect(dsnotSkips('mlp', 'self_attn')).toBe(false);
    expect(dsnotSkips('no_skip', 'mlp')).toBe(false);
  });
});
