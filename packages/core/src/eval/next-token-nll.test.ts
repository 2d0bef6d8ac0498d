import { describe, expect, test } from 'vitest';
import { createRng } from '../rng';
import { sumNextTokenNll } from './next-token-nll';

describe('sumNextTokenNll', () => {
  test('equals −log(exp(x_t) / Σ exp(x_i)) computed naively for moderate logits', () => {
    const rng = createRng(3);
    const vocab = 17;
    const rows = 5;
    const logits = Float32Array.from({ length: vocab * rows }, () => rng.normal() * 3);
    const targets = [0, 16, 5, 5, 9];
    let naive = 0;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let i = 0; i < vocab; i++) sum += Math.exp(logits[r * vocab + i]);
      naive -= Math.log(Math.exp(logits[r * vocab + targets[r]]) / sum);
    }
    expect(sumNextTokenNll(logits, vocab, targets)).toBeCloseTo(naive, 10);
  });

  test('uniform logits give log(vocab) per row; a shift by 1e4 changes nothing (stability)', () => {
    const vocab = 4096;
    const flat = new Float32Array(vocab * 2).fill(10_000);
    expect(sumNextTokenNll(flat, vocab, [3, 4000])).toBeCloseTo(2 * Math.log(vocab), 9);
    const rng = createRng(5);
    const logits = Array.from({ length: 64 }, () => rng.normal());
    const shifted = logits.map((value) => value + 10_000);
    expect(sumNextTokenNll(shifted, 64, [7])).toBeCloseTo(sumNextTokenNll(logits, 64, [7]), 8);
  });

  test('firstRow and count select rows; a NaN row gives NaN', () => {
    const logits = [0, 0, 5, 0, 1, 2];
    expect(sumNextTokenNll(logits, 2, [0], 2, 1)).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2)) - 1, 12);
    expect(sumNextTokenNll([Number.NaN, 0], 2, [1])).toBeNaN();
  });
});
