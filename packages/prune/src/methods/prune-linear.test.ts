import { describe, expect, it } from 'vitest';
import { correlatedActivations, createRng, randomMatrix } from '../../test/helpers/layers';
import { createLayerStatisticsAccumulator } from '../calibrate/layer-statistics';
import { isPruneError } from '../errors';
import { applyMask, rowSparsity } from '../mask/apply';
import { isNmMask } from '../mask/n-m';
import { selectRowMask } from '../mask/unstructured';
import { reconstructionErrorFromHessian } from '../metrics/reconstruction-error';
import { refineMaskDsnot } from './dsnot';
import { pruneLinear, requiredStatistics } from './prune-linear';
import { pruneSparseGpt, scoreSparseGpt } from './sparsegpt';
import { wandaMethod } from './wanda';

const rows = 6;
const columns = 64;

function setup(seed: number) {
  const rng = createRng(seed);
  const data = randomMatrix(rng, rows, columns);
  const x = correlatedActivations(rng, 4 * 24, columns, { meanScale: 2, rank: 12 });
  const accumulator = createLayerStatisticsAccumulator(columns, ['input-norms', 'moments', 'hessian']);
  accumulator.add(x, 4 * 24, { samples: 4 });
  return { weight: { data, rows, columns }, statistics: accumulator.result() };
}

const pattern = { kind: 'unstructured', sparsity: 0.5 } as const;

describe('pruneLinear', () => {
  it('lists the statistics its options need', () => {
    expect(requiredStatistics({ method: 'magnitude', pattern })).toEqual([]);
    expect(requiredStatistics({ method: 'wanda', pattern, dsnot: true }).sort()).toEqual([
      'input-norms',
      'moments',
    ]);
    expect(requiredStatistics({ method: 'sparsegpt', pattern }, true)).toEqual(['hessian']);
  });

  it('wanda + DSnoT is the composition of the two cores, with errors from the Hessian', () => {
    const { weight, statistics } = setup(61);
    const result = pruneLinear(weight, statistics, { method: 'wanda', pattern, dsnot: true });
    const initial = wandaMethod.prune(weight, statistics, pattern);
    const refined = refineMaskDsnot({ weight, mask: initial.mask, pattern, statistics });
    expect(result.mask).toEqual(refined.mask);
    expect(result.weight.data).toEqual(applyMask(weight, refined.mask).data);
    expect(result.sparsity).toBe(0.5);
    const final = reconstructionErrorFromHessian(weight, result.weight, statistics.hessian!).reduce(
      (a, b) => a + b,
      0,
    );
    expect(result.reconstructionError?.final).toBeCloseTo(final, 9);
    expect(result.dsnot?.swaps).toBeGreaterThan(0);
    expect(result.options.dsnot).toMatchObject({ maxCycles: 50, updateThreshold: 0.1 });
  });

  it('SparseGPT + DSnoT from the saliency keeps dense values; from the OBS result keeps compensated values', () => {
    const { weight, statistics } = setup(62);
    const saliency = pruneLinear(weight, statistics, { method: 'sparsegpt', pattern, dsnot: true });
    const startMask = selectRowMask(scoreSparseGpt(weight, statistics.hessian!), rows, columns, 0.5);
    expect(Array.from(rowSparsity(saliency.mask, rows, columns))).toEqual(new Array(rows).fill(0.5));
    for (let k = 0; k < rows * columns; k++)
      expect(saliency.weight.data[k]).toBe(saliency.mask[k] ? 0 : weight.data[k]);
    expect(saliency.mask).not.toEqual(startMask); // DSnoT moved something
    const obs = pruneLinear(weight, statistics, {
      method: 'sparsegpt',
      pattern,
      dsnot: true,
      dsnotSparseGptBase: 'obs-updated',
    });
    const sparsegpt = pruneSparseGpt(weight, statistics.hessian!, pattern);
    expect(Array.from(rowSparsity(obs.mask, rows, columns))).toEqual(
      Array.from(rowSparsity(sparsegpt.mask, rows, columns)),
    );
    for (let k = 0; k < rows * columns; k++) {
      expect(obs.weight.data[k]).toBe(obs.mask[k] ? 0 : sparsegpt.preMaskWeight[k]);
    }
    expect(obs.reconstructionError!.initial).toBeCloseTo(
      reconstructionErrorFromHessian(weight, sparsegpt.weight, statistics.hessian!).reduce(
        (a, b) => a + b,
        0,
      ),
      6,
    );
  });

  it('measureError: false skips the Hessian-based error', () => {
    const { weight, statistics } = setup(65);
    const result = pruneLinear(weight, statistics, { method: 'sparsegpt', pattern, measureError: false });
    expect(result.reconstructionError).toBeUndefined();
    const measured = pruneLinear(weight, statistics, { method: 'sparsegpt', pattern });
    expect(measured.reconstructionError?.final).toBe(measured.reconstructionError?.initial);
    expect(measured.weight.data).toEqual(result.weight.data);
  });

  it('N:M through every method keeps the pattern', () => {
    const { weight, statistics } = setup(63);
    for (const method of ['magnitude', 'wanda', 'sparsegpt']) {
      for (const dsnot of [false, true]) {
        const result = pruneLinear(weight, statistics, {
          method,
          pattern: { kind: 'nm', n: 2, m: 4 },
          dsnot,
        });
        expect(isNmMask(result.mask, rows, columns, 2, 4)).toBe(true);
      }
    }
  });

  it('typed errors for unknown methods, bad options and missing statistics', () => {
    const { weight } = setup(64);
    const cases: [() => unknown, string][] = [
      [() => pruneLinear(weight, undefined, { method: 'nope', pattern }), 'PRUNE_UNKNOWN_METHOD'],
      [
        () => pruneLinear(weight, undefined, { pattern: { kind: 'unstructured', sparsity: 1 } }),
        'PRUNE_INVALID_OPTION',
      ],
      [
        () => pruneLinear(weight, undefined, { method: 'magnitude', pattern, dsnot: true }),
        'PRUNE_NO_CALIBRATION',
      ],
      [() => pruneLinear(weight, undefined, { pattern, dsnot: { maxCycles: -1 } }), 'PRUNE_INVALID_OPTION'],
    ];
    for (const [run, code] of cases) {
      try {
        run();
        expect.unreachable();
      } catch (error) {
        expect(isPruneError(error) && error.code).toBe(code);
      }
    }
  });
});
