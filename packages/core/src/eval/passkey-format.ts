import { XError } from '../errors';

/**
 * The passkey retrieval format (Mohtashami & Jaggi 2023, "Landmark Attention", arXiv 2305.16300): an instruction,
 * filler text with a needle holding a random number, and a question. `{key}` in `needle` and `answer` is the key.
 */
export interface PasskeyFormat {
  prefix: string;
  needle: string;
  question: string;
  answer: string;
  /** Digits of the key (keys are drawn uniformly from 10^(d−1) .. 10^d − 1). */
  keyDigits: number;
}

/**
 * The format the reference model (@x/reference-lm) was trained and evaluated with (its `passkey.json`,
 * tools/train-reference-lm/train.py `PASSKEY`).
 */
export const PASSKEY_FORMAT: Readonly<PasskeyFormat> = Object.freeze({
  prefix:
    'There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about the important information there.\n',
  needle: '\nThe pass key is {key}. Remember it. {key} is the pass key.\n',
  question: '\nWhat is the pass key? The pass key is',
  answer: ' {key}',
  keyDigits: 5,
});

/**
 * Reads a passkey format from parsed `passkey.json` (the reference model's file: `prefix`, `needle`, `question`,
 * `answer`, `keyDigits`). `source` names the file in errors.
 *
 * Errors: `X_EVAL` naming the file and the missing or malformed field.
 */
export function parsePasskeyFormat(json: unknown, source = 'passkey.json'): PasskeyFormat {
  if (typeof json !== 'object' || json === null) {
    throw new XError('X_EVAL', `${source} is not a JSON object`, { details: { file: source } });
  }
  const record = json as Record<string, unknown>;
  const text = (field: string): string => {
    const value = record[field];
    if (typeof value !== 'string') {
      throw new XError('X_EVAL', `${source}: field "${field}" must be a string`, {
        details: { file: source, field },
      });
    }
    return value;
  };
  const keyDigits = record.keyDigits ?? 5;
  if (!Number.isInteger(keyDigits) || (keyDigits as number) < 1 || (keyDigits as number) > 15) {
    throw new XError('X_EVAL', `${source}: field "keyDigits" must be an integer in 1..15`, {
      details: { file: source, field: 'keyDigits' },
    });
  }
  const format = {
    prefix: text('prefix'),
    needle: text('needle'),
    question: text('question'),
    answer: text('answer'),
    keyDigits: keyDigits as number,
  };
  for (const field of ['needle', 'answer'] as const) {
    if (!format[field].includes('{key}')) {
      throw new XError('X_EVAL', `${source}: field "${field}" has no {key} placeholder`, {
        details: { file: source, field },
      });
    }
  }
  return format;
}
