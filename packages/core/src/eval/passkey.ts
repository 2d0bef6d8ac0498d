import type { Session } from '../backend/types';
import { type ProgressCallback, throwIfAborted, XError } from '../errors';
import { generate } from '../generate/generate';
import { createRng } from '../rng';
import type { TextTokenizer } from '../tokenizer/types';
import { PASSKEY_FORMAT, type PasskeyFormat } from './passkey-format';
import { buildPasskeyPrompt, drawPasskey, type PasskeyTrial } from './passkey-prompt';

export interface CreatePasskeyTrialsOptions {
  /**
   * Prompt lengths in tokens.
   * @defaultValue [1024, 2048]
   */
  lengths?: readonly number[];
  /**
   * Needle depths in [0, 1].
   * @defaultValue [0.1, 0.3, 0.5, 0.7, 0.9]
   */
  depths?: readonly number[];
  /**
   * Trials per (length, depth) cell.
   * @defaultValue 10
   */
  trialsPerCell?: number;
  /**
   * Seed of `createRng` for keys and filler offsets.
   * @defaultValue 0
   */
  seed?: number;
  /**
   * Digits of each key.
   * @defaultValue 5
   */
  keyDigits?: number;
}

/**
 * Seeded passkey trials: for every length, depth and trial a key and a filler offset uniform in
 * `0 .. fillerLength − length − 2` (as train.py `make_trials`). The same seed gives the same trials.
 *
 * Errors: `X_INVALID_ARGUMENT` (options), `X_EVAL` when the filler is shorter than the longest prompt.
 */
export function createPasskeyTrials(
  fillerLength: number,
  options: CreatePasskeyTrialsOptions = {},
): PasskeyTrial[] {
  const lengths = [...(options.lengths ?? [1024, 2048])];
  const depths = [...(options.depths ?? [0.1, 0.3, 0.5, 0.7, 0.9])];
  const trialsPerCell = options.trialsPerCell ?? 10;
  const keyDigits = options.keyDigits ?? 5;
  if (lengths.length === 0 || lengths.some((length) => !Number.isInteger(length) || length < 2)) {
    throw invalid('lengths', lengths.join(','), 'integers >= 2');
  }
  if (depths.length === 0 || depths.some((depth) => !(depth >= 0 && depth <= 1))) {
    throw invalid('depths', depths.join(','), 'numbers in [0, 1]');
  }
  if (!Number.isInteger(trialsPerCell) || trialsPerCell < 1)
    throw invalid('trialsPerCell', trialsPerCell, 'an integer >= 1');
  if (!Number.isInteger(keyDigits) || keyDigits < 1 || keyDigits > 15)
    throw invalid('keyDigits', keyDigits, 'an integer in 1..15');
  const longest = Math.max(...lengths);
  if (fillerLength - longest - 1 < 1) {
    throw new XError(
      'X_EVAL',
      `createPasskeyTrials: the filler has ${fillerLength} tokens, too few for length ${longest}`,
      {
        details: { argument: 'fillerLength', value: fillerLength },
      },
    );
  }
  const rng = createRng(options.seed ?? 0);
  const trials: PasskeyTrial[] = [];
  for (const length of lengths) {
    for (const depth of depths) {
      for (let t = 0; t < trialsPerCell; t++) {
        const key = drawPasskey(rng, keyDigits);
        const fillerOffset = rng.int(fillerLength - length - 1);
        trials.push({ length, depth, key, fillerOffset });
      }
    }
  }
  return trials;
}

export interface EvaluatePasskeyOptions extends CreatePasskeyTrialsOptions {
  /**
   * The trials to run; when given, `lengths`, `depths`, `trialsPerCell`, `seed` and `keyDigits` are not used
   * (pass the `trials` of the reference model's passkey.json to replay its exact prompts).
   * @defaultValue `createPasskeyTrials(filler.length, options)`
   */
  trials?: readonly PasskeyTrial[];
  /**
   * The prompt format.
   * @defaultValue `PASSKEY_FORMAT` (the reference model's)
   */
  format?: PasskeyFormat;
  /** Called after each trial with phase `passkey`. */
  onProgress?: ProgressCallback;
  /** Checked before each trial. */
  signal?: AbortSignal;
}

export interface PasskeyTrialResult extends PasskeyTrial {
  correct: boolean;
  /** The generated text (as many tokens as the answer has). */
  generated: string;
}

export interface PasskeyResult {
  /** Accuracy by length then depth, e.g. `table['1024']['0.5']`. */
  table: Record<string, Record<string, number>>;
  /** Accuracy over all trials. */
  accuracy: number;
  results: PasskeyTrialResult[];
  seconds: number;
  options: { trials: number; format: PasskeyFormat; seed: number | undefined };
}

/**
 * Passkey retrieval accuracy (Mohtashami & Jaggi 2023, arXiv 2305.16300). Each trial's prompt is built by
 * `buildPasskeyPrompt` over `filler` (held-out text tokenized once, no special tokens); the model greedily generates
 * as many tokens as the answer has, and the trial is correct iff they equal the answer ids exactly.
 *
 * Errors: as `createPasskeyTrials`, `buildPasskeyPrompt` and `generate`.
 */
export async function evaluatePasskey(
  session: Session,
  tokenizer: TextTokenizer,
  filler: ArrayLike<number>,
  options: EvaluatePasskeyOptions = {},
): Promise<PasskeyResult> {
  const format = options.format ?? PASSKEY_FORMAT;
  const trials =
    options.trials ?? createPasskeyTrials(filler.length, { keyDigits: format.keyDigits, ...options });
  const results: PasskeyTrialResult[] = [];
  const began = performance.now();
  for (const trial of trials) {
    throwIfAborted(options.signal, 'passkey');
    const prompt = buildPasskeyPrompt(tokenizer, filler, trial, format);
    const output = await generate(session, {
      inputIds: prompt.inputIds,
      maxNewTokens: prompt.answerIds.length,
      signal: options.signal,
    });
    const correct = output.tokens.every((token, index) => token === prompt.answerIds[index]);
    results.push({ ...trial, correct, generated: tokenizer.decode(output.tokens) });
    options.onProgress?.({ phase: 'passkey', done: results.length, total: trials.length });
  }
  const table: Record<string, Record<string, number>> = {};
  const counts: Record<string, Record<string, [number, number]>> = {};
  for (const result of results) {
    const row = (counts[String(result.length)] ??= {});
    const cell = (row[String(result.depth)] ??= [0, 0]);
    cell[0] += result.correct ? 1 : 0;
    cell[1] += 1;
  }
  for (const [length, row] of Object.entries(counts)) {
    table[length] = {};
    for (const [depth, [hits, total]] of Object.entries(row)) table[length][depth] = hits / total;
  }
  return {
    table,
    accuracy:
      results.length > 0 ? results.filter((result) => result.correct).length / results.length : Number.NaN,
    results,
    seconds: (performance.now() - began) / 1000,
    options: { trials: trials.length, format, seed: options.trials ? undefined : (options.seed ?? 0) },
  };
}

function invalid(option: string, value: unknown, expected: string): XError {
  return new XError(
    'X_INVALID_ARGUMENT',
    `createPasskeyTrials: options.${option} must be ${expected}, got ${String(value)}`,
    {
      details: { option, value },
    },
  );
}
