import { describe, expect, test } from 'vitest';
import { createRng } from '../rng';
import { argmax, sampleToken } from './select-token';

describe('argmax', () => {
  test('first index on ties; NaN never wins; negative values', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([Number.NaN, -5, -2, -9])).toBe(2);
    expect(argmax(new Float32Array([-1, -1]))).toBe(0);
  });
});

describe('sampleToken', () => {
  const logits = [2, 1, 0.5, -1, 0];

  function frequencies(
    settings: { temperature: number; topK: number; topP: number },
    draws: number,
    seed = 1,
  ) {
    const rng = createRng(seed);
    const counts = new Array(logits.length).fill(0);
    for (let i = 0; i < draws; i++) counts[sampleToken(logits, settings, rng)]++;
    return counts.map((count) => count / draws);
  }

  function softmax(values: number[], temperature: number) {
    const exps = values.map((value) => Math.exp(value / temperature));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((value) => value / sum);
  }

  test('draws follow softmax(logits / temperature) (20k draws, |error| < 0.015)', () => {
    for (const temperature of [1, 0.5, 2]) {
      const expected = softmax(logits, temperature);
      const observed = frequencies({ temperature, topK: 0, topP: 1 }, 20_000);
      for (let i = 0; i < logits.length; i++) expect(Math.abs(observed[i] - expected[i])).toBeLessThan(0.015);
    }
  });

  test('top-k keeps the k largest and renormalizes; top-k 1 is argmax', () => {
    const observed = frequencies({ temperature: 1, topK: 2, topP: 1 }, 20_000);
    const kept = softmax([2, 1], 1);
    expect(Math.abs(observed[0] - kept[0])).toBeLessThan(0.015);
    expect(observed[2] + observed[3] + observed[4]).toBe(0);
    expect(frequencies({ temperature: 1, topK: 1, topP: 1 }, 100)[0]).toBe(1);
  });

  test('top-p keeps the smallest prefix of the ranking reaching p', () => {
    const probabilities = softmax(logits, 1); // ranking: 0, 1, 2, 4, 3
    const p = probabilities[0] + probabilities[1] - 1e-9;
    const observed = frequencies({ temperature: 1, topK: 0, topP: p }, 5000);
    expect(observed[2] + observed[3] + observed[4]).toBe(0);
    expect(observed[0]).toBeGreaterThan(0.6);
  });

  test('the same seed gives the same draws', () => {
    const a = frequencies({ temperature: 1, topK: 0, topP: 0.9 }, 300, 42);
    const b = frequencies({ temperature: 1, topK: 0, topP: 0.9 }, 300, 42);
    expect(a).toEqual(b);
  });
});
