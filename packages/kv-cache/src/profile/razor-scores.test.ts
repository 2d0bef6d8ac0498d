import { describe, expect, it } from 'vitest';
import { scoreAttentionRow, scoreRetrievalHeads, selectRetrievalHeads } from './razor-scores';

describe('RazorAttention probe scores', () => {
  it('scoreAttentionRow sums the earlier occurrences (echo) and their successors (induction) of a later-block row', () => {
    const layout = { offset: 1, blockLength: 4, repeats: 3 };
    // Row i = 10: r = 9, r mod 4 = 1 → echo j = 2, 6; induction j = 3, 7.
    const row = Array.from({ length: 11 }, (_, j) => j / 100);
    const scores = scoreAttentionRow(row, 10, layout);
    expect(scores.echo).toBeCloseTo(0.02 + 0.06, 12);
    expect(scores.induction).toBeCloseTo(0.03 + 0.07, 12);
    // First-block rows and the BOS row score nothing.
    expect(scoreAttentionRow(row, 3, layout)).toEqual({ echo: 0, induction: 0 });
  });

  it('a head that copies the token after the previous occurrence scores high on induction, an echo head on echo', () => {
    const blockLength = 12;
    const repeats = 3;
    const vocab = 13;
    const block = [5, 2, 9, 0, 11, 7, 3, 10, 1, 8, 4, 6];
    const tokens = [12];
    for (let r = 0; r < repeats; r++) tokens.push(...block);
    const n = tokens.length;
    const d = 16;
    const numHeads = 4;
    const numKvHeads = 2;
    const key = new Float32Array(numKvHeads * n * d);
    const query = new Float32Array(numHeads * n * d);
    let seed = 1;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    for (let j = 0; j < n; j++) {
      // KV head 0 keys encode the PREVIOUS token (induction), KV head 1 keys the token itself (echo).
      if (j > 0) key[(0 * n + j) * d + tokens[j - 1]] = 8;
      key[(1 * n + j) * d + tokens[j]] = 8;
      // Query heads 0 and 2 ask for the current token; heads 1 and 3 are small noise.
      query[(0 * n + j) * d + tokens[j]] = 8;
      query[(2 * n + j) * d + tokens[j]] = 8;
      for (let c = 0; c < d; c++) {
        query[(1 * n + j) * d + c] = noise() * 0.1;
        query[(3 * n + j) * d + c] = noise() * 0.1;
      }
    }
    expect(vocab).toBeLessThanOrEqual(d);
    const { echo, induction } = scoreRetrievalHeads({
      query,
      key,
      numHeads,
      numKvHeads,
      headDim: d,
      length: n,
      scale: 1,
      layout: { offset: 1, blockLength, repeats },
    });
    // Induction head: every later-block row puts ~all its mass on successors of earlier occurrences.
    expect(induction[0]).toBeCloseTo((blockLength * (repeats - 1)) / (n * n), 4);
    // Echo head: m earlier occurrences share the mass with the row itself: 1/2 in block 2, 2/3 in block 3.
    expect(echo[1]).toBeCloseTo((blockLength * (1 / 2) + blockLength * (2 / 3)) / (n * n), 4);
    // (a uniform head gets about m / (i + 1) per row: ~1/10 of the peak at this short length)
    expect(induction[1]).toBeLessThan(induction[0] / 5);
    expect(echo[0]).toBeLessThan(echo[1] / 5);
  });

  it('selects the top ratios model-wide, unites echo and induction, keeps ties', () => {
    const echo = [
      [0.9, 0.1],
      [0.2, 0.3],
    ];
    const induction = [
      [0.1, 0.2],
      [0.8, 0.8],
    ];
    expect(selectRetrievalHeads({ echo, induction }, { echoRatio: 0.25, inductionRatio: 0.25 })).toEqual([
      [0],
      [0, 1],
    ]);
    expect(selectRetrievalHeads({ echo, induction }, { echoRatio: 0, inductionRatio: 0 })).toEqual([[], []]);
    expect(selectRetrievalHeads({ echo, induction }, { echoRatio: 0.5, inductionRatio: 0 })).toEqual([
      [0],
      [1],
    ]);
  });
});
