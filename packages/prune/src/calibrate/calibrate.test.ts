import { describe, expect, it } from 'vitest';
import { correlatedActivations, createRng, referenceHessian } from '../../test/helpers/layers';
import { isPruneError } from '../errors';
import { createChannelMomentAccumulator } from './channel-moments';
import { createHessianAccumulator } from './hessian';
import { createInputNormAccumulator } from './input-norms';
import { createLayerStatisticsAccumulator } from './layer-statistics';

const columns = 6;
const length = 9;
const sequences = 5;
const rng = createRng(7);
const batches = Array.from({ length: sequences }, () =>
  correlatedActivations(rng, length, columns, { meanScale: 1 }),
);
const all = new Float32Array(sequences * length * columns);
batches.forEach((batch, s) => {
  all.set(batch, s * length * columns);
});

describe('calibration accumulators', () => {
  it('input norms: sqnorm_j = (1/n) Σ_seq Σ_t x_tj², streamed or batched', () => {
    const streamed = createInputNormAccumulator(columns);
    for (const batch of batches) streamed.add(batch, length);
    const batched = createInputNormAccumulator(columns);
    batched.add(all.subarray(0, 2 * length * columns), 2 * length, { samples: 2 });
    batched.add(all.subarray(2 * length * columns), 3 * length, { samples: 3 });
    for (let j = 0; j < columns; j++) {
      let sum = 0;
      for (let t = 0; t < sequences * length; t++) sum += all[t * columns + j] ** 2;
      expect(streamed.result()[j]).toBeCloseTo(sum / sequences, 9);
      expect(batched.result()[j]).toBeCloseTo(sum / sequences, 9);
    }
    expect(streamed.samples).toBe(sequences);
  });

  it('hessian: H = (2/n) Σ XᵀX, symmetric, running mean over sequences', () => {
    const accumulator = createHessianAccumulator(columns);
    for (const batch of batches) accumulator.add(batch, length);
    const h = accumulator.result();
    const reference = referenceHessian(all, columns, sequences);
    for (let q = 0; q < h.length; q++) expect(h[q]).toBeCloseTo(reference[q], 8);
  });

  it('hessian from precomputed Gram matrices equals the direct update', () => {
    const direct = createHessianAccumulator(columns);
    const fromGram = createHessianAccumulator(columns);
    for (const batch of batches) {
      direct.add(batch, length);
      const gram = new Float64Array(columns * columns);
      for (let t = 0; t < length; t++) {
        for (let a = 0; a < columns; a++) {
          for (let b = 0; b < columns; b++)
            gram[a * columns + b] += batch[t * columns + a] * batch[t * columns + b];
        }
      }
      fromGram.addGram(gram, length);
    }
    const a = direct.result();
    const b = fromGram.result();
    for (let q = 0; q < a.length; q++) expect(b[q]).toBeCloseTo(a[q], 9);
  });

  it('moments: token-sum per sequence, mean, and pooled within-sequence population variance', () => {
    const accumulator = createChannelMomentAccumulator(columns);
    accumulator.add(all.subarray(0, 2 * length * columns), 2 * length, { samples: 2 });
    for (const batch of batches.slice(2)) accumulator.add(batch, length);
    const { sum, mean, variance, samples, tokens } = accumulator.result();
    expect(samples).toBe(sequences);
    expect(tokens).toBe(sequences * length);
    for (let j = 0; j < columns; j++) {
      let total = 0;
      let pooled = 0;
      for (const batch of batches) {
        let s = 0;
        for (let t = 0; t < length; t++) s += batch[t * columns + j];
        const m = s / length;
        let v = 0;
        for (let t = 0; t < length; t++) v += (batch[t * columns + j] - m) ** 2;
        pooled += v; // Σ_s L·v_s with v_s = (1/L)Σ(x−m)²
        total += s;
      }
      expect(sum[j]).toBeCloseTo(total / sequences, 9);
      expect(mean[j]).toBeCloseTo(total / (sequences * length), 9);
      expect(variance[j]).toBeCloseTo(pooled / (sequences * length), 9);
    }
  });

  it('layer statistics hold only what was asked for', () => {
    const accumulator = createLayerStatisticsAccumulator(columns, ['input-norms', 'moments']);
    for (const batch of batches) accumulator.add(batch, length);
    const statistics = accumulator.result();
    expect(statistics.hessian).toBeUndefined();
    expect(statistics.inputSquaredNorms).toHaveLength(columns);
    expect(statistics.moments?.sum).toHaveLength(columns);
    expect(statistics.samples).toBe(sequences);
  });

  it('rejects mis-shaped batches with PRUNE_SHAPE_MISMATCH', () => {
    const accumulator = createHessianAccumulator(columns);
    for (const run of [
      () => accumulator.add(new Float32Array(columns * 3 - 1), 3),
      () => accumulator.add(new Float32Array(columns * 3), 3, { samples: 2 }),
    ]) {
      try {
        run();
        expect.unreachable();
      } catch (error) {
        expect(isPruneError(error) && error.code).toBe('PRUNE_SHAPE_MISMATCH');
      }
    }
  });
});
