import { createRng } from '@x/core';
import { invalidOption } from '../errors';
import { checkPositiveInteger } from '../internal/validate';

export interface SampleWindowsOptions {
  /** Number of sequences (the papers use 128). */
  samples: number;
  /** Tokens per sequence (the papers use 2048; DSnoT's threshold θ is in token-sum units, so it scales with it). */
  seqlen: number;
  /** Seed for `createRng`. @defaultValue 0 (the papers' seed) */
  seed?: number;
}

/**
 * Calibration sequences as in the pruning papers' C4 loader (brief §0): `samples` windows of `seqlen` consecutive
 * tokens at seeded random offsets. Deviation, stated: the papers first draw a random document longer than `seqlen`;
 * over one token stream (a concatenated corpus) this draws the offset directly, so a window may span documents.
 * Throws PRUNE_INVALID_OPTION when the stream is shorter than `seqlen`.
 */
export function sampleCalibrationWindows(
  tokens: ArrayLike<number>,
  options: SampleWindowsOptions,
): number[][] {
  checkPositiveInteger(options.samples, 'samples');
  checkPositiveInteger(options.seqlen, 'seqlen');
  const { samples, seqlen } = options;
  if (tokens.length < seqlen) {
    throw invalidOption(
      'seqlen',
      `the calibration text has ${tokens.length} tokens, fewer than seqlen ${seqlen}`,
      seqlen,
    );
  }
  const rng = createRng(options.seed ?? 0);
  const windows: number[][] = [];
  for (let s = 0; s < samples; s++) {
    const start = rng.int(tokens.length - seqlen + 1);
    windows.push(Array.from({ length: seqlen }, (_, t) => Number(tokens[start + t])));
  }
  return windows;
}
