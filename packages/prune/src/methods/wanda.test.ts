import { describe, expect, it } from 'vitest';
import { correlatedActivations, createRng, randomMatrix } from '../../test/helpers/layers';
import { createLayerStatisticsAccumulator } from '../calibrate/layer-statistics';
import { isPruneError } from '../errors';
import { isNmMask } from '../mask/n-m';
import { magnitudeMethod } from './magnitude';
import { wandaMethod } from './wanda';

const rows = 6;
const columns = 16;

function setup(seed: number) {
  const rng = createRng(seed);
  const data = randomMatrix(rng, rows, columns);
  const x = correlatedActivations(rng, 40, columns);
  const accumulator = createLayerStatisticsAccumulator(columns, ['input-norms']);
  for (let s = 0; s < 4; s++) accumulator.add(x.subarray(s * 10 * columns, (s + 1) * 10 * columns), 10);
  return { weight: { data, rows, columns }, x, statistics: accumulator.result() };
}

/** Reference Wanda: score |W_ij|·‖X_j‖₂ straight from the activations, then sort each row (brief §1). */
function referenceWanda(data: Float32Array, x: Float32Array, count: number): Uint8Array {
  const norms = new Array<number>(columns).fill(0);
  for (let t = 0; t < x.length / columns; t++)
    for (let j = 0; j < columns; j++) norms[j] += x[t * columns + j] ** 2;
  const mask = new Uint8Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const entries = Array.from({ length: columns }, (_, j) => ({
      j,
      s: Math.abs(data[i * columns + j]) * Math.sqrt(norms[j]),
    }));
    entries.sort((a, b) => a.s - b.s || a.j - b.j);
    for (const { j } of entries.slice(0, count)) mask[i * columns + j] = 1;
  }
  return mask;
}

describe('wanda', () => {
  it('matches the reference mask and zeroes exactly the masked weights', () => {
    const { weight, x, statistics } = setup(3);
    const result = wandaMethod.prune(weight, statistics, { kind: 'unstructured', sparsity: 0.5 });
    expect(result.mask).toEqual(referenceWanda(weight.data, x, 8));
    for (let k = 0; k < rows * columns; k++) {
      expect(result.weight.data[k]).toBe(result.mask[k] ? 0 : weight.data[k]);
    }
    expect(weight.data.some((v) => v === 0)).toBe(false); // input untouched
  });

  it('N:M keeps the pattern and agrees with a per-group reference', () => {
    const { weight, statistics } = setup(4);
    const result = wandaMethod.prune(weight, statistics, { kind: 'nm', n: 2, m: 4 });
    expect(isNmMask(result.mask, rows, columns, 2, 4)).toBe(true);
    const scores = wandaMethod.score(weight, statistics);
    for (let start = 0; start < rows * columns; start += 4) {
      const group = [0, 1, 2, 3].sort((a, b) => scores[start + a] - scores[start + b] || a - b);
      expect([group[0], group[1]].map((g) => result.mask[start + g])).toEqual([1, 1]);
    }
  });

  it('is deterministic for a seed', () => {
    const a = setup(9);
    const b = setup(9);
    const pattern = { kind: 'unstructured', sparsity: 0.6 } as const;
    expect(wandaMethod.prune(a.weight, a.statistics, pattern).mask).toEqual(
      wandaMethod.prune(b.weight, b.statistics, pattern).mask,
    );
  });

  it('needs input norms: PRUNE_NO_CALIBRATION otherwise', () => {
    const { weight } = setup(5);
    try {
      wandaMethod.prune(weight, { columns, samples: 1 }, { kind: 'unstructured', sparsity: 0.5 });
      expect.unreachable();
    } catch (error) {
      expect(isPruneError(error) && error.code).toBe('PRUNE_NO_CALIBRATION');
    }
  });
});

describe('magnitude', () => {
  it('per-matrix threshold by default, per-row on request', () => {
    const data = Float32Array.from([0.1, -5, 3, 4, 8, 9, 6, 7]);
    const weight = { data, rows: 2, columns: 4 };
    const pattern = { kind: 'unstructured', sparsity: 0.5 } as const;
    expect(Array.from(magnitudeMethod.prune(weight, undefined, pattern).mask)).toEqual([
      1, 1, 1, 1, 0, 0, 0, 0,
    ]);
    expect(Array.from(magnitudeMethod.prune(weight, undefined, pattern, { scope: 'row' }).mask)).toEqual([
      1, 0, 1, 0, 0, 0, 1, 1,
    ]);
    const nm = magnitudeMethod.prune(weight, undefined, { kind: 'nm', n: 2, m: 4 });
    expect(Array.from(nm.weight.data)).toEqual([0, -5, 0, 4, 8, 9, 0, 0].map(Math.fround));
  });
});
