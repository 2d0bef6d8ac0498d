import type { Rng } from '@x/core';

/** Resolved token-selection settings. */
export interface SamplingSettings {
  /** 0 = greedy. */
  temperature: number;
  topK: number;
  topP: number;
  /** 1 = off. */
  repetitionPenalty: number;
}

/** Index of the largest value, the first on ties (torch.argmax); NaN never wins. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > bestValue) {
      bestValue = values[i];
      best = i;
    }
  }
  return best;
}

/**
 * CTRL repetition penalty (Keskar et al. 2019, arXiv 1909.05858, as HF `RepetitionPenaltyLogitsProcessor`): every
 * token id already seen (prompt and generated) has its logit divided by `penalty` when positive, multiplied when
 * negative. Returns a new array (the model's logits are left alone).
 */
export function applyRepetitionPenalty(
  logits: Float32Array,
  seen: Iterable<number>,
  penalty: number,
): Float32Array {
  const out = logits.slice();
  if (penalty === 1) return out;
  for (const id of new Set(seen)) {
    const value = out[id];
    out[id] = value > 0 ? value / penalty : value * penalty;
  }
  return out;
}

/**
 * Picks the next token: argmax when `temperature` is 0; otherwise a draw from softmax(logits / T) restricted to
 * the top-k, then to the smallest nucleus of mass ≥ top-p (Holtzman et al. 2020, arXiv 1904.09751), in HF's
 * warper order. Probabilities in float64; ranking ties keep the lower id, so one seed gives one sequence.
 */
export function selectToken(logits: Float32Array, settings: SamplingSettings, rng: Rng | undefined): number {
  if (settings.temperature === 0 || rng === undefined) return argmax(logits);
  const ids = Array.from({ length: logits.length }, (_, i) => i);
  ids.sort((a, b) => logits[b] - logits[a] || a - b);
  const limit = settings.topK > 0 ? Math.min(settings.topK, ids.length) : ids.length;
  const top = logits[ids[0]];
  const weights = new Float64Array(limit);
  let total = 0;
  for (let i = 0; i < limit; i++) {
    weights[i] = Math.exp((logits[ids[i]] - top) / settings.temperature);
    total += weights[i];
  }
  let kept = limit;
  if (settings.topP < 1) {
    let mass = 0;
    for (let i = 0; i < limit; i++) {
      mass += weights[i] / total;
      if (mass >= settings.topP) {
        kept = i + 1;
        break;
      }
    }
  }
  let keptTotal = 0;
  for (let i = 0; i < kept; i++) keptTotal += weights[i];
  let draw = rng.next() * keptTotal;
  for (let i = 0; i < kept; i++) {
    draw -= weights[i];
    if (draw < 0) return ids[i];
  }
  return ids[kept - 1];
}
