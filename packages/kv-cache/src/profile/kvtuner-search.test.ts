import { createRng } from '@x/core';
import { describe, expect, it } from 'vitest';
import { isKvCacheError } from '../errors';
import { createKvPolicy } from '../policy/registry';
import { KVTUNER_PAIRS, pairBits, pairName } from './kvtuner-pairs';
import { KVTUNER_PROFILE_FORMAT, parseKvTunerProfile } from './kvtuner-profile';
import { clusterLayers, paretoFront, pruneLayerPairs, searchKvTuner } from './kvtuner-search';
import { measureLayerSensitivity } from './kvtuner-sensitivity';

/** Synthetic sensitivities: layer l's error for a pair = keyWeight_l·2^-bK + valueWeight_l·2^-bV. */
function synthetic(weights: [number, number][]): number[][] {
  return weights.map(([k, v]) =>
    KVTUNER_PAIRS.map((pair) => k * 2 ** -pair.keyBits + v * 2 ** -pair.valueBits),
  );
}

describe('KVTuner search', () => {
  it('names the 9 pairs and their equivalent bits', () => {
    expect(KVTUNER_PAIRS.map(pairName)).toEqual([
      'KV8',
      'K8V4',
      'K8V2',
      'K4V8',
      'KV4',
      'K4V2',
      'K2V8',
      'K2V4',
      'KV2',
    ]);
    expect(KVTUNER_PAIRS.map(pairBits)).toEqual([8, 6, 5, 6, 4, 3, 5, 3, 2]);
  });

  it('intra-layer pruning keeps exactly the non-dominated pairs', () => {
    // Keys 10x more sensitive: value-heavy pairs (K4V8, K2V8, K2V4) are dominated by their key-heavy mirrors.
    const [keyHeavy] = pruneLayerPairs(synthetic([[10, 1]]), KVTUNER_PAIRS);
    expect(keyHeavy.map((p) => pairName(KVTUNER_PAIRS[p]))).toEqual([
      'KV2',
      'K4V2',
      'KV4',
      'K8V2',
      'K8V4',
      'KV8',
    ]);
    // Brute-force check of the definition on random points.
    const rng = createRng(3);
    const points = Array.from({ length: 40 }, () => ({ cost: rng.int(6), error: rng.next() }));
    const front = new Set(paretoFront(points));
    points.forEach((p, i) => {
      const dominated = points.some(
        (q, j) => j !== i && q.cost <= p.cost && q.error <= p.error && (q.cost < p.cost || q.error < p.error),
      );
      const duplicateEarlier = points.some((q, j) => j < i && q.cost === p.cost && q.error === p.error);
      expect(front.has(i)).toBe(!dominated && !duplicateEarlier);
    });
  });

  it('clusters layers with similar sensitivity and keeps every layer once', () => {
    const errors = synthetic([
      [10, 1],
      [100, 1],
      [10.5, 1.1],
      [100, 2],
      [1, 50],
    ]);
    const groups = clusterLayers(errors, 3);
    expect(groups).toEqual([[0, 2], [1, 3], [4]]);
    expect(clusterLayers(errors, 9).flat().sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('the search respects the budget, its front is monotone, and it beats or ties every uniform config in budget', () => {
    const errors = synthetic([
      [50, 1],
      [10, 1],
      [10, 1],
      [2, 2],
      [1, 20],
      [5, 5],
    ]);
    const groups = clusterLayers(errors, 4);
    for (const budget of [2, 3, 3.25, 4, 6]) {
      const { chosen, front, searched } = searchKvTuner(errors, KVTUNER_PAIRS, groups, budget);
      expect(searched).toBeGreaterThan(1);
      expect(chosen.averageBits).toBeLessThanOrEqual(budget + 1e-9);
      const recomputed = chosen.pairs.reduce((sum, p, l) => sum + errors[l][p], 0);
      expect(chosen.error).toBeCloseTo(recomputed, 12);
      for (let i = 1; i < front.length; i++) {
        expect(front[i].averageBits).toBeGreaterThan(front[i - 1].averageBits);
        expect(front[i].error).toBeLessThan(front[i - 1].error);
      }
      // A uniform pair is a point of the grouped space: the chosen config is no worse than any within budget.
      KVTUNER_PAIRS.forEach((pair, p) => {
        if (pairBits(pair) > budget) return;
        const uniform = errors.reduce((sum, row) => sum + row[p], 0);
        expect(chosen.error).toBeLessThanOrEqual(uniform + 1e-12);
      });
    }
    expect(() => searchKvTuner(errors, KVTUNER_PAIRS, groups, 1.5)).toThrow(RangeError);
  });
});

describe('KVTuner sensitivity proxy', () => {
  it('is zero-free, grows as bits shrink, and is larger for keys than values on spiky keys', () => {
    const rng = createRng(5);
    const numHeads = 2;
    const numKvHeads = 1;
    const d = 32;
    const length = 96;
    const query = Float32Array.from({ length: numHeads * length * d }, () => rng.normal());
    // Keys with a few outlier channels (the pattern KIVI's per-channel grouping targets).
    const key = Float32Array.from(
      { length: numKvHeads * length * d },
      (_, i) => rng.normal() * (i % d < 2 ? 8 : 1),
    );
    const value = Float32Array.from({ length: numKvHeads * length * d }, () => rng.normal());
    const errors = measureLayerSensitivity(
      {
        query,
        key,
        value,
        numHeads,
        numKvHeads,
        headDim: d,
        length,
        scale: 1 / Math.sqrt(d),
        residualLength: 32,
        queryRows: 16,
      },
      KVTUNER_PAIRS,
    );
    const byName = Object.fromEntries(KVTUNER_PAIRS.map((pair, p) => [pairName(pair), errors[p]]));
    expect(byName.KV8).toBeGreaterThan(0);
    expect(byName.KV8).toBeLessThan(byName.KV4);
    expect(byName.KV4).toBeLessThan(byName.KV2);
    expect(byName.K8V2).toBeLessThan(byName.KV2);
    expect(byName.K2V8).toBeLessThan(byName.KV2);
  });
});

describe('kvtuner policy', () => {
  it('reads the chosen pairs from a profile and rejects bad or foreign profiles', () => {
    const fingerprint = {
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 32,
      vocabSize: 50,
      weightsHash: 'h',
    };
    const profile = {
      format: KVTUNER_PROFILE_FORMAT,
      fingerprint,
      options: { residualLength: 64 },
      layers: [
        { keyBits: 8, valueBits: 4 },
        { keyBits: 4, valueBits: 2 },
      ],
    };
    const policy = createKvPolicy('kvtuner', { profile });
    expect(policy.options).toMatchObject({ averageBits: 4.5, residualLength: 64 });
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isKvCacheError(error) ? error.code : String(error);
      }
    };
    expect(code(() => createKvPolicy('kvtuner'))).toBe('KV_INVALID_OPTION');
    expect(code(() => parseKvTunerProfile({ ...profile, layers: [{ keyBits: 3, valueBits: 2 }] }))).toBe(
      'KV_PROFILE_INVALID',
    );
    expect(code(() => parseKvTunerProfile({ ...profile, format: 'x-kv/razor-heads@1' }))).toBe(
      'KV_PROFILE_INVALID',
    );
    const shape = { numLayers: 3, numHeads: 4, numKvHeads: 2, headDim: 32 };
    expect(code(() => policy.createCache?.(shape, {} as never))).toBe('KV_PROFILE_MISMATCH');
  });
});
