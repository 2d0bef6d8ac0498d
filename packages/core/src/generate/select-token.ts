import type { Rng } from '../rng';

/** Index of the largest value; the first one on ties (as torch/numpy argmax). NaN never wins. */
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

export interface SamplingSettings {
  /** > 0. */
  temperature: number;
  /** Keep the `topK` most likely tokens; 0 keeps all. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches `topP`; 1 keeps all. */
  topP: number;
}

/**
 * Draws one token from `softmax(logits / temperature)` restricted by top-k then top-p (nucleus, Holtzman et al.
 * 2020, arXiv 1904.09751), the order of HF transformers' logits warpers. Probabilities are computed in float64
 * from the max-shifted logits; ties in the ranking keep the lower id first, so a seed gives one sequence.
 */
export function sampleToken(logits: ArrayLike<number>, settings: SamplingSettings, rng: Rng): number {
  const vocab = logits.length;
  const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const keep = settings.topK > 0 ? Math.min(settings.topK, vocab) : vocab;
  const peak = logits[order[0]];
  const weights = new Float64Array(keep);
  let sum = 0;
  for (let i = 0; i < keep; i++) {
    weights[i] = Math.exp((logits[order[i]] - peak) / settings.temperature);
    sum += weights[i];
  }
  let kept = keep;
  if (settings.topP < 1) {
    let mass = 0;
    for (let i = 0; i < keep; i++) {
      mass += weights[i] / sum;
      if (mass >= settings.topP) {
        kept = i + 1;
        break;
      }
    }
  }
  let keptSum = 0;
  for (let i = 0; i < kept; i++) keptSum += weights[i];
  let draw = rng.next() * keptSum;
  for (let i = 0; i < kept; i++) {
    draw -= weights[i];
    if (draw < 0) return order[i];
  }
  return order[kept - 1];
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
