import { createRng } from '@x/core';
import { describe, expect, it } from 'vitest';
import { isQuantError } from '../errors';
import { caught, orthogonalityError } from '../internal/test-helpers';
import type { Matrix } from '../types';
import { calibrateR1 } from './calibrate-r1';
import { calibrateR2 } from './calibrate-r2';
import { evaluateWhip } from './whip-loss';

/** RMS-normalised tokens (‖x‖² = d) with a few massive outlier channels, as in LLM residual streams. */
function outlierSamples(count: number, tokens: number, d: number, seed: number): Matrix<Float64Array>[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const data = new Float64Array(tokens * d);
    for (let t = 0; t < tokens; t++) {
      let ss = 0;
      for (let i = 0; i < d; i++) {
        const v = rng.normal() * (i === 3 ? 20 : i === 11 ? 8 : 1);
        data[t * d + i] = v;
        ss += v * v;
      }
      const scale = Math.sqrt(d / ss);
      for (let i = 0; i < d; i++) data[t * d + i] *= scale;
    }
    return { rows: tokens, cols: d, data };
  });
}

/** max |y| / rms(y) over all rotated tokens: the outlier measure rotations should shrink. */
function maxOverRms(samples: Matrix[], rotation: Matrix): number {
  let worst = 0;
  const d = rotation.rows;
  for (const x of samples) {
    for (let t = 0; t < x.rows; t++) {
      let max = 0;
      let ss = 0;
      for (let j = 0; j < d; j++) {
        let y = 0;
        for (let p = 0; p < d; p++) y += x.data[t * d + p] * rotation.data[p * d + j];
        max = Math.max(max, Math.abs(y));
        ss += y * y;
      }
      worst = Math.max(worst, max / Math.sqrt(ss / d));
    }
  }
  return worst;
}

describe('calibrateR1 (DartQuant QR-Orth + SGD momentum on the Whip loss)', () => {
  const samples = outlierSamples(20, 32, 16, 1);

  it('decreases the Whip loss from an outlier-heavy start and flattens the rotated activations', () => {
    const result = calibrateR1(samples, {
      init: 'identity',
      learningRate: 0.05,
      epochs: 15,
      sampleRatio: 0.5,
    });
    expect(result.initUsed).toBe('identity');
    expect(result.steps).toBe(15);
    const before = evaluateWhip(samples, [result.initialRotation], false).loss;
    const after = evaluateWhip(samples, [result.rotation], false).loss;
    expect(after).toBeLessThan(0.9 * before);
    expect(maxOverRms(samples, result.rotation)).toBeLessThan(
      0.75 * maxOverRms(samples, result.initialRotation),
    );
    expect(orthogonalityError(result.rotation)).toBeLessThan(1e-10);
  });

  it('with the paper defaults starts at a random Hadamard and still lowers the loss; is seeded', () => {
    const a = calibrateR1(samples, { learningRate: 0.01 });
    expect(a.initUsed).toBe('random-hadamard');
    expect(a.options).toMatchObject({ momentum: 0.9, epochs: 10, batchSize: 64, sampleRatio: 0.1, seed: 0 });
    expect(a.steps).toBe(10);
    const before = evaluateWhip(samples, [a.initialRotation], false).loss;
    const after = evaluateWhip(samples, [a.rotation], false).loss;
    expect(after).toBeLessThan(before);
    const b = calibrateR1(samples, { learningRate: 0.01 });
    expect(b.rotation.data).toEqual(a.rotation.data);
  });

  it("falls back to a random orthogonal start (with a warning) when d has no Hadamard matrix under 'auto'", () => {
    const odd = outlierSamples(2, 8, 10, 3);
    const result = calibrateR1(odd, { epochs: 1 });
    expect(result.initUsed).toBe('random-orthogonal');
    expect(result.warnings).toHaveLength(1);
    const strict = caught(() => calibrateR1(odd, { epochs: 1, init: 'random-hadamard' }));
    expect(isQuantError(strict) && strict.code).toBe('QUANT_UNSUPPORTED_HADAMARD_SIZE');
  });

  it('subsamples tokens under maxTokensPerBatch and stops on abort', () => {
    const events: number[] = [];
    const result = calibrateR1(samples, {
      epochs: 2,
      maxTokensPerBatch: 16,
      onProgress: (e) => events.push(e.done),
    });
    expect(events).toEqual([1, 2]);
    expect(orthogonalityError(result.rotation)).toBeLessThan(1e-10);
    const controller = new AbortController();
    controller.abort();
    const error = caught(() => calibrateR1(samples, { signal: controller.signal }));
    expect((error as { code?: string }).code).toBe('X_ABORTED');
  });
});

describe('calibrateR2', () => {
  it('learns one rotation per KV head, steps once per epoch with the README settings, lowers the loss', () => {
    // 4 query heads of 8 channels, 2 KV heads; 128 samples -> 2 batches of 64, accumulation 2.
    const samples = outlierSamples(128, 2, 32, 5);
    const result = calibrateR2(samples, { numHeads: 4, numKvHeads: 2, learningRate: 0.05, epochs: 4 });
    expect(result.rotations).toHaveLength(2);
    expect(result.steps).toBe(4);
    for (const r of result.rotations) expect(orthogonalityError(r)).toBeLessThan(1e-10);
    expect(result.initialRotations[0].data).toEqual(result.initialRotations[1].data);
    const before = evaluateWhip(samples, result.initialRotations, false).loss;
    expect(evaluateWhip(samples, result.rotations, false).loss).toBeLessThan(before);
  });

  it('rejects head counts that do not fit', () => {
    const samples = outlierSamples(2, 2, 12, 5);
    const error = caught(() => calibrateR2(samples, { numHeads: 4, numKvHeads: 3 }));
    expect(isQuantError(error) && error.code).toBe('QUANT_INVALID_OPTION');
  });
});
