import { applyRepetitionPenalty, argmax, createRng } from '@x/core';
import { describe, expect, it } from 'vitest';
import { selectToken } from './sampling';

const logits = Float32Array.of(1, 3, 2, -1, 0.5);

describe('selectToken', () => {
  it('greedy, top-k 1 and a tiny top-p all give the argmax', () => {
    const rng = createRng(1);
    expect(selectToken(logits, { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1 }, rng)).toBe(1);
    expect(selectToken(logits, { temperature: 1, topK: 1, topP: 1, repetitionPenalty: 1 }, rng)).toBe(1);
    expect(selectToken(logits, { temperature: 1, topK: 0, topP: 0.01, repetitionPenalty: 1 }, rng)).toBe(1);
    expect(argmax(Float32Array.of(2, 5, 5))).toBe(1);
  });

  it('draws follow softmax(logits / T) restricted to the top-k, renormalised', () => {
    const rng = createRng(9);
    const counts = new Float64Array(logits.length);
    const draws = 20000;
    const settings = { temperature: 2, topK: 3, topP: 1, repetitionPenalty: 1 };
    for (let i = 0; i < draws; i++) counts[selectToken(logits, settings, rng)]++;
    const kept = [1, 2, 0];
    const weights = kept.map((id) => Math.exp(logits[id] / 2));
    const total = weights.reduce((a, b) => a + b, 0);
    for (const [i, id] of kept.entries()) expect(counts[id] / draws).toBeCloseTo(weights[i] / total, 1);
    expect(counts[3] + counts[4]).toBe(0);
  });

  it('top-p keeps the smallest nucleus reaching the mass', () => {
    const rng = createRng(3);
    const seen = new Set<number>();
    // probabilities at T=1: ids 1 (0.61), 2 (0.22), 0 (0.08) ... → p 0.8 keeps ids 1 and 2
    for (let i = 0; i < 500; i++)
      seen.add(selectToken(logits, { temperature: 1, topK: 0, topP: 0.8, repetitionPenalty: 1 }, rng));
    expect([...seen].sort()).toEqual([1, 2]);
  });
});

describe('applyRepetitionPenalty', () => {
  it('divides positive and multiplies negative logits of seen ids (CTRL / HF)', () => {
    const out = applyRepetitionPenalty(logits, [1, 3, 1], 2);
    expect(Array.from(out)).toEqual([1, 1.5, 2, -2, 0.5]);
    expect(Array.from(logits)).toEqual([1, 3, 2, -1, 0.5]);
  });
});
