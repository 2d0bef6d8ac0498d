import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isXError } from '../errors';
import { createTokenizer } from './create-tokenizer';
import { loadTokenizer } from './load-tokenizer';

const fixture = join(import.meta.dirname, '__fixtures__', 'tiny-tokenizer');
const json = JSON.parse(readFileSync(join(fixture, 'tokenizer.json'), 'utf8'));

async function expectCode(promise: Promise<unknown>, code: string, file: string) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isXError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as Error).message).toContain(file);
}

describe('loadTokenizer (byte-level BPE fixture with the reference model layout)', () => {
  test('reads bos/eos from tokenizer_config.json and the vocabulary size', async () => {
    const tokenizer = await loadTokenizer(fixture);
    expect(tokenizer.bosId).toBe(0);
    expect(tokenizer.eosId).toBe(0);
    expect(tokenizer.vocabSize).toBe(Object.keys(json.model.vocab).length);
  });

  test('encode prepends BOS only with special tokens; digits are split one by one', async () => {
    const tokenizer = await loadTokenizer(fixture);
    const plain = tokenizer.encode('pass key 90210', { addSpecialTokens: false });
    expect(tokenizer.encode('pass key 90210')).toEqual([0, ...plain]);
    const digits = tokenizer.encode('90210', { addSpecialTokens: false });
    // Each digit is its own pre-token and byte-level symbol: vocab ids are byte + 1.
    expect(digits).toEqual([...'90210'].map((char) => char.charCodeAt(0) + 1));
  });

  test('merges follow the BPE ranks: a learned word is one token', async () => {
    const tokenizer = await loadTokenizer(fixture);
    // The first merges of the fixture are Ġ+t then Ġt+he (rank order), so " the" is the single token "Ġthe".
    const merged = 'Ġthe';
    expect(tokenizer.encode(' the', { addSpecialTokens: false })).toEqual([json.model.vocab[merged]]);
  });

  test('decode(encode(text)) is the text, for ASCII, accents, emoji, control and whitespace runs', async () => {
    const tokenizer = await loadTokenizer(fixture);
    for (const text of [
      'Call me Ishmael.',
      '  héllo\twörld\n\n\n',
      'ünïcødé 😀 漢字',
      'a\u0000b\r\n 12 3.45',
    ]) {
      const ids = tokenizer.encode(text);
      expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe(text);
      expect(tokenizer.decode(ids)).toBe(`<|endoftext|>${text}`);
    }
  });

  test('typed errors name the file: missing, corrupt JSON, not a tokenizer, unknown bos token, bad ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x-tokenizer-'));
    await expectCode(loadTokenizer(dir), 'X_TOKENIZER', join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    await expectCode(loadTokenizer(dir), 'X_TOKENIZER', join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0"}');
    await expectCode(loadTokenizer(dir), 'X_TOKENIZER', join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'tokenizer_config.json'), '{"bos_token": "<s>"}');
    await expectCode(loadTokenizer(dir), 'X_TOKENIZER', 'bos_token');
    writeFileSync(join(dir, 'tokenizer_config.json'), '{}');
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer.bosId).toBeUndefined();
    expect(() => tokenizer.decode([tokenizer.vocabSize])).toThrow(/not a token id/);
    expect(() => createTokenizer(json, { eos_token: { content: '<|endoftext|>' } }).eosId).not.toThrow();
  });
});
