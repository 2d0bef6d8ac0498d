import { argmax, type Rng, sampleToken } from '@x/core';

/** Resolved token-selection settings. */
export interface SamplingSettings {
  /** 0 = greedy. */
  temperature: number;
  topK: number;
  topP: number;
  /** 1 = off (CTRL penalty, core's `applyRepetitionPenalty`). */
  repetitionPenalty: number;
}

/**
 * Picks the next token: argmax when `temperature` is 0 (or no rng is given), otherwise core's `sampleToken`
 * (softmax(logits / T) restricted to top-k, then top-p, in HF's warper order; seeded).
 */
export function selectToken(logits: Float32Array, settings: SamplingSettings, rng: Rng | undefined): number {
  if (settings.temperature === 0 || rng === undefined) return argmax(logits);
  return sampleToken(logits, settings, rng);
}
