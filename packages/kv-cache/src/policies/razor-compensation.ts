/**
 * RazorAttention's compensation token (Tang et al. 2024, arXiv 2407.15891, Eq. 4; kv-cache brief §1.3): the n_d
 * keys and values a non-retrieval head drops are replaced by their means k̂ = (1/n_d)·Σ k_m, v̂ = (1/n_d)·Σ v_m,
 * and the slot weighs as the n_d tokens it stands for:
 *   o = [Σ_{m∉𝔇} e^{s·q·k_m} v_m + n_d·e^{s·q·k̂} v̂] / [Σ_{m∉𝔇} e^{s·q·k_m} + n_d·e^{s·q·k̂}],
 * i.e. an additive logit bias ln(n_d) on the compensation slot (s: the model's own attention scale, applied to every
 * slot). When more tokens leave the window the means update incrementally: k̂ ← (n_d·k̂ + Σ new)/(n_d + n_new).
 */

/**
 * Folds `count` rows (`rows[from .. from+count)` of width `width`) into the running mean `mean` of `held` rows;
 * returns the new count. Float64 accumulation, one rounding per element.
 */
export function foldIntoMean(
  mean: Float32Array,
  held: number,
  rows: Float32Array,
  from: number,
  count: number,
  width: number,
): number {
  const total = held + count;
  if (count === 0) return held;
  for (let c = 0; c < width; c++) {
    let sum = mean[c] * held;
    for (let r = from; r < from + count; r++) sum += rows[r * width + c];
    mean[c] = sum / total;
  }
  return total;
}

/** The additive logit of a compensation slot standing for `count` dropped tokens: ln(count) (0 for no slot). */
export function compensationBias(count: number): number {
  return count > 0 ? Math.log(count) : 0;
}
