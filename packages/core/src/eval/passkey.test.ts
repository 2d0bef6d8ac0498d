import { beforeAll, describe, expect, test } from 'vitest';
import { isXError } from '../errors';
import { createRng } from '../rng';
import { loadTokenizer } from '../tokenizer/load-tokenizer';
import type { TextTokenizer } from '../tokenizer/types';
import { TINY_TOKENIZER_DIR } from './__fixtures__/tiny-decoder';
import { createPasskeyTrials } from './passkey';
import { PASSKEY_FORMAT, parsePasskeyFormat } from './passkey-format';
import { buildPasskeyPrompt, drawPasskey, roundHalfEven } from './passkey-prompt';

const filler = Array.from({ length: 5000 }, (_, i) => 300 + (i % 200)); // a recognisable filler stream
let tokenizer: TextTokenizer;
beforeAll(async () => {
  tokenizer = await loadTokenizer(TINY_TOKENIZER_DIR);
});

function indexOfRun(haystack: number[], needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe('createPasskeyTrials', () => {
  test('deterministic per seed: same seed same trials, other seed other keys', () => {
    const a = createPasskeyTrials(5000, { seed: 1 });
    expect(createPasskeyTrials(5000, { seed: 1 })).toEqual(a);
    expect(createPasskeyTrials(5000, { seed: 2 }).map((trial) => trial.key)).not.toEqual(
      a.map((trial) => trial.key),
    );
  });

  test('defaults: 2 lengths × 5 depths × 10 trials, 5-digit keys, offsets leave room for the prompt', () => {
    const trials = createPasskeyTrials(5000);
    expect(trials).toHaveLength(100);
    expect(new Set(trials.map((trial) => trial.length))).toEqual(new Set([1024, 2048]));
    expect(new Set(trials.map((trial) => trial.depth))).toEqual(new Set([0.1, 0.3, 0.5, 0.7, 0.9]));
    for (const trial of trials) {
      expect(trial.key).toMatch(/^[1-9]\d{4}$/);
      expect(trial.fillerOffset + trial.length).toBeLessThan(5000);
    }
  });

  test('keys cover the whole digit range', () => {
    const rng = createRng(9);
    const keys = Array.from({ length: 2000 }, () => Number(drawPasskey(rng, 2)));
    expect(Math.min(...keys)).toBe(10);
    expect(Math.max(...keys)).toBe(99);
  });

  test('typed errors: filler too short, bad depth', () => {
    expect(() => createPasskeyTrials(1500, { lengths: [2048] })).toThrow(/too few/);
    expect(() => createPasskeyTrials(5000, { depths: [1.5] })).toThrow(/depths/);
  });
});

describe('buildPasskeyPrompt', () => {
  test('exactly `length` ids; BOS, prefix, needle at round(depth·budget) filler tokens, question last', () => {
    const piece = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
    for (const length of [200, 1024]) {
      for (const depth of [0, 0.1, 0.5, 0.9, 1]) {
        const trial = { length, depth, key: '48213', fillerOffset: 17 };
        const prompt = buildPasskeyPrompt(tokenizer, filler, trial, PASSKEY_FORMAT);
        expect(prompt.inputIds).toHaveLength(length);
        expect(prompt.inputIds[0]).toBe(0);
        const prefix = piece(PASSKEY_FORMAT.prefix);
        const needle = piece(PASSKEY_FORMAT.needle.replaceAll('{key}', '48213'));
        const question = piece(PASSKEY_FORMAT.question);
        const budget = length - 1 - prefix.length - needle.length - question.length;
        expect(prompt.fillerTokens).toBe(budget);
        expect(prompt.needleStart).toBe(1 + prefix.length + roundHalfEven(depth * budget));
        expect(indexOfRun(prompt.inputIds, needle)).toBe(prompt.needleStart);
        expect(prompt.inputIds.slice(-question.length)).toEqual(question);
        // Filler before the needle is filler[offset...], after it continues where it stopped.
        expect(prompt.inputIds.slice(1 + prefix.length, prompt.needleStart)).toEqual(
          filler.slice(17, 17 + prompt.fillerBefore),
        );
        expect(prompt.inputIds[prompt.needleEnd]).toBe(
          prompt.fillerBefore < budget ? filler[17 + prompt.fillerBefore] : question[0],
        );
        expect(tokenizer.decode(prompt.answerIds)).toBe(' 48213');
      }
    }
  });

  test('the decoded prompt reads as the format: needle text at the asked depth of the filler', () => {
    const prompt = buildPasskeyPrompt(
      tokenizer,
      filler,
      { length: 600, depth: 0.3, key: '70001', fillerOffset: 0 },
      PASSKEY_FORMAT,
    );
    const text = tokenizer.decode(prompt.inputIds, { skipSpecialTokens: true });
    expect(text.startsWith(PASSKEY_FORMAT.prefix)).toBe(true);
    expect(text).toContain('\nThe pass key is 70001. Remember it. 70001 is the pass key.\n');
    expect(text.endsWith(PASSKEY_FORMAT.question)).toBe(true);
    expect(prompt.fillerBefore / prompt.fillerTokens).toBeCloseTo(0.3, 2);
  });

  test('round half to even as Python round', () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6, 500.5].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 500]);
  });

  test('typed errors: length too short for the pieces, filler overrun', () => {
    expect(() =>
      buildPasskeyPrompt(
        tokenizer,
        filler,
        { length: 20, depth: 0.5, key: '1', fillerOffset: 0 },
        PASSKEY_FORMAT,
      ),
    ).toThrow(/cannot hold/);
    expect(() =>
      buildPasskeyPrompt(
        tokenizer,
        filler,
        { length: 1024, depth: 0.5, key: '1', fillerOffset: 4900 },
        PASSKEY_FORMAT,
      ),
    ).toThrow(/does not fit/);
  });
});

describe('parsePasskeyFormat', () => {
  test('reads the reference format fields and rejects malformed files, naming them', () => {
    const format = parsePasskeyFormat({ ...PASSKEY_FORMAT, trials: [] }, 'x/passkey.json');
    expect(format).toEqual(PASSKEY_FORMAT);
    try {
      parsePasskeyFormat({ ...PASSKEY_FORMAT, needle: 'no key' }, 'x/passkey.json');
      expect.unreachable();
    } catch (error) {
      expect(isXError(error) && error.code).toBe('X_EVAL');
      expect((error as Error).message).toMatch(/x\/passkey\.json.*needle/);
    }
    expect(() => parsePasskeyFormat(null, 'p.json')).toThrow(/p\.json/);
  });
});
