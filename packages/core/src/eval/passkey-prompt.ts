import { XError } from '../errors';
import type { Rng } from '../rng';
import type { TextTokenizer } from '../tokenizer/types';
import type { PasskeyFormat } from './passkey-format';

/** One passkey trial: where and what to hide. */
export interface PasskeyTrial {
  /** Prompt length in tokens (BOS included). */
  length: number;
  /** Needle depth in [0, 1]: the share of the filler placed before it. */
  depth: number;
  /** The key, `keyDigits` decimal digits. */
  key: string;
  /** First filler token used. */
  fillerOffset: number;
}

export interface PasskeyPrompt {
  /** Exactly `trial.length` ids: [BOS] + prefix + filler[:before] + needle + filler[before:] + question. */
  inputIds: number[];
  /** The ids the model must generate: `answer` with the key. */
  answerIds: number[];
  /** Index of the needle's first token in `inputIds`. */
  needleStart: number;
  /** One past the needle's last token. */
  needleEnd: number;
  /** Filler tokens in the prompt, and how many come before the needle. */
  fillerTokens: number;
  fillerBefore: number;
}

/**
 * Builds a passkey prompt exactly as the reference model's `passkey.json` describes: the pieces are tokenized
 * separately without special tokens and concatenated as ids; budget = length − 1 − |prefix| − |needle| − |question|
 * filler tokens are taken from `filler[fillerOffset…]` (held-out text tokenized once), and
 * before = round(depth · budget) of them precede the needle (round half to even, as Python's `round`).
 *
 * Errors: `X_EVAL` when the length cannot hold the pieces or the filler is too short; `X_TOKENIZER` without a BOS id.
 */
export function buildPasskeyPrompt(
  tokenizer: TextTokenizer,
  filler: ArrayLike<number>,
  trial: PasskeyTrial,
  format: PasskeyFormat,
): PasskeyPrompt {
  if (tokenizer.bosId === undefined) {
    throw new XError('X_TOKENIZER', `buildPasskeyPrompt: ${tokenizer.source} has no bos_token`, {
      details: { file: tokenizer.source },
    });
  }
  if (!(trial.depth >= 0 && trial.depth <= 1)) {
    throw new XError(
      'X_INVALID_ARGUMENT',
      `buildPasskeyPrompt: depth must be in [0, 1], got ${trial.depth}`,
      {
        details: { argument: 'trial.depth', value: trial.depth },
      },
    );
  }
  const piece = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
  const prefix = piece(format.prefix);
  const needle = piece(format.needle.replaceAll('{key}', trial.key));
  const question = piece(format.question);
  const answerIds = piece(format.answer.replaceAll('{key}', trial.key));
  const budget = trial.length - 1 - prefix.length - needle.length - question.length;
  if (budget < 0) {
    throw new XError(
      'X_EVAL',
      `buildPasskeyPrompt: length ${trial.length} cannot hold the prompt pieces (${trial.length - budget} tokens)`,
      { details: { argument: 'trial.length', value: trial.length } },
    );
  }
  if (
    !Number.isInteger(trial.fillerOffset) ||
    trial.fillerOffset < 0 ||
    trial.fillerOffset + budget > filler.length
  ) {
    throw new XError(
      'X_EVAL',
      `buildPasskeyPrompt: filler has ${filler.length} tokens; offset ${trial.fillerOffset} + ${budget} does not fit`,
      { details: { argument: 'trial.fillerOffset', value: trial.fillerOffset } },
    );
  }
  const before = roundHalfEven(trial.depth * budget);
  const inputIds: number[] = [tokenizer.bosId, ...prefix];
  for (let i = 0; i < before; i++) inputIds.push(filler[trial.fillerOffset + i]);
  const needleStart = inputIds.length;
  inputIds.push(...needle);
  const needleEnd = inputIds.length;
  for (let i = before; i < budget; i++) inputIds.push(filler[trial.fillerOffset + i]);
  inputIds.push(...question);
  return { inputIds, answerIds, needleStart, needleEnd, fillerTokens: budget, fillerBefore: before };
}

/** Draws a key of `digits` decimal digits, uniform in 10^(d−1) .. 10^d − 1 (numpy `integers(10000, 100000)` for 5). */
export function drawPasskey(rng: Rng, digits: number): string {
  const low = 10 ** (digits - 1);
  return String(low + rng.int(10 * low - low));
}

/** Python 3 `round`: to nearest, ties to even. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
