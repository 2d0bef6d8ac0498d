import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isXError } from '../errors';
import { loadTokenizer } from '../tokenizer/load-tokenizer';
import { sampleCalibrationSet } from './calibration';
import { loadCalibrationFile } from './calibration-file';

const modelDir = join(import.meta.dirname, '..', 'tokenizer', '__fixtures__', 'tiny-tokenizer');
const dir = mkdtempSync(join(tmpdir(), 'x-calibration-file-'));

async function expectInvalid(promise: Promise<unknown>, text: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isXError(error) && error.code).toBe('X_INVALID_ARGUMENT');
  expect((error as Error).message).toContain(text);
}

describe('loadCalibrationFile', () => {
  it('tokenizes text without special tokens and draws the same seeded windows as sampleCalibrationSet', async () => {
    const text = 'the cat sat on the mat and the dog ran to the cat '.repeat(40);
    const file = join(dir, 'calibration.txt');
    writeFileSync(file, text);
    const options = { samples: 5, seqlen: 16, seed: 3 };
    const sequences = await loadCalibrationFile(file, modelDir, options);
    const tokenizer = await loadTokenizer(modelDir);
    const tokens = tokenizer.encode(text, { addSpecialTokens: false });
    expect(sequences).toEqual(sampleCalibrationSet(tokens, options).sequences);
    expect(sequences.every((row) => row.length === 16)).toBe(true);
  });

  it('uses token-id arrays from .json as given, cut to seqlen; rejects short or malformed ones', async () => {
    const json = join(dir, 'ids.json');
    writeFileSync(
      json,
      JSON.stringify([
        [1, 2, 3, 4, 5],
        [6, 7, 8, 9, 10],
        [11, 12, 13, 14, 15],
      ]),
    );
    expect(await loadCalibrationFile(json, modelDir, { samples: 2, seqlen: 4 })).toEqual([
      [1, 2, 3, 4],
      [6, 7, 8, 9],
    ]);
    await expectInvalid(
      loadCalibrationFile(json, modelDir, { samples: 2, seqlen: 6 }),
      'fewer than seqlen 6',
    );
    writeFileSync(json, '{"not": "ids"}');
    await expectInvalid(loadCalibrationFile(json, modelDir), 'array of token-id arrays');
    writeFileSync(json, '[[1, 2');
    await expectInvalid(loadCalibrationFile(json, modelDir), 'not valid JSON');
    await expectInvalid(
      loadCalibrationFile(join(dir, 'missing.txt'), modelDir),
      'cannot read calibration file',
    );
  });
});
