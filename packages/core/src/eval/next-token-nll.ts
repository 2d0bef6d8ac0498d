/**
 * Sum of next-token negative log-likelihoods: for rows r = 0..count-1 of `logits` (`vocab` values each, row-major,
 * starting at row `firstRow`), −log softmax(row r)[targets[r]]. The log-softmax is the stable form
 * `logsumexp(x) − x_t = m + log Σ exp(x_i − m) − x_t` with m = max(x), accumulated in float64.
 * Returns NaN when a row is not finite (so a broken model cannot pass for a good one).
 */
export function sumNextTokenNll(
  logits: ArrayLike<number>,
  vocab: number,
  targets: ArrayLike<number>,
  firstRow = 0,
  count = targets.length,
): number {
  let total = 0;
  for (let r = 0; r < count; r++) {
    const offset = (firstRow + r) * vocab;
    let peak = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < vocab; i++) {
      const value = logits[offset + i];
      if (value > peak) peak = value;
    }
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += Math.exp(logits[offset + i] - peak);
    total += peak + Math.log(sum) - logits[offset + targets[r]];
  }
  return total;
}
