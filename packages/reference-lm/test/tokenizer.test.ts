// @huggingface/tokenizers, loaded from the model folder, reproduces the Python tokenizer's ids, and the passkey
// prompt format in passkey.json rebuilds the exact prompt ids the Python evaluation used.
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { heldoutTextPath, modelDir, passkeyConfigPath } from '../src/index';
import { golden } from './golden';

interface PasskeyTrial {
  length: number;
  depth: number;
  key: string;
  fillerOffset: number;
  fillerTokens: number;
  needleAt: number;
}

interface PasskeyConfig {
  prefix: string;
  needle: string;
  question: string;
  answer: string;
  trials: PasskeyTrial[];
  example: { trial: PasskeyTrial; promptIds: number[] };
}

const tokenizer = new Tokenizer(
  JSON.parse(readFileSync(`${modelDir}/tokenizer.json`, 'utf8')),
  JSON.parse(readFileSync(`${modelDir}/tokenizer_config.json`, 'utf8')),
);
const encode = (text: string): number[] => tokenizer.encode(text, { add_special_tokens: false }).ids;

describe('reference LM tokenizer', () => {
  for (const prompt of golden.prompts) {
    it(`reproduces the Python ids: ${prompt.name}`, () => {
      expect(tokenizer.encode(prompt.text).ids).toEqual(prompt.inputIds);
    });
  }

  it('prepends <|endoftext|> (id 0) as BOS and splits digits one by one', () => {
    const ids = tokenizer.encode('The pass key is 48213.').ids;
    expect(ids[0]).toBe(golden.bosTokenId);
    const digits = ids.map((id) => tokenizer.decode([id])).filter((piece) => /^\d$/.test(piece));
    expect(digits).toEqual(['4', '8', '2', '1', '3']);
    expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe('The pass key is 48213.');
  });

  it('rebuilds the Python passkey prompt from passkey.json', () => {
    const passkey: PasskeyConfig = JSON.parse(readFileSync(passkeyConfigPath, 'utf8'));
    const filler = encode(readFileSync(heldoutTextPath, 'utf8'));
    const trial = passkey.example.trial;
    const prefix = encode(passkey.prefix);
    const needle = encode(passkey.needle.replaceAll('{key}', trial.key));
    const question = encode(passkey.question);
    expect(trial.fillerTokens).toBe(trial.length - 1 - prefix.length - needle.length - question.length);
    const body = filler.slice(trial.fillerOffset, trial.fillerOffset + trial.fillerTokens);
    const ids = [
      0,
      ...prefix,
      ...body.slice(0, trial.needleAt),
      ...needle,
      ...body.slice(trial.needleAt),
      ...question,
    ];
    expect(ids).toHaveLength(trial.length);
    expect(ids).toEqual(passkey.example.promptIds);
    expect(encode(passkey.answer.replaceAll('{key}', trial.key))).toHaveLength(6); // ' ' + five digits
    expect(passkey.trials).toHaveLength(100);
  });
});
