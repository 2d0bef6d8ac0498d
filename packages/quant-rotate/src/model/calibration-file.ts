/**
 * Calibration sequences from a file: a `.json` array of token-id arrays (used as is, cut to `seqlen`), or
 * UTF-8 text tokenized with the model folder's `tokenizer.json` (`@huggingface/tokenizers`, no special
 * tokens) and cut into `samples` windows of `seqlen` tokens at seeded random offsets (the papers' recipe,
 * brief §0, with WikiText-2 train as the text and 128 × 2048 as the size).
 */
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { createRng } from '@x/core';
import { QuantError } from '../errors';

export interface CalibrationFileOptions {
  /** Windows to draw. @defaultValue 32 */
  samples?: number;
  /** Tokens per window. @defaultValue 512 */
  seqlen?: number;
  /** Seed of the window offsets. @defaultValue 0 */
  seed?: number;
}

async function read(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new QuantError('QUANT_INVALID_OPTION', `cannot read ${what} ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { option: 'calibration', file: path },
    });
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new QuantError('QUANT_INVALID_OPTION', `${path} is not valid JSON`, {
      cause: error,
      details: { option: 'calibration', file: path },
    });
  }
}

export async function loadCalibrationFile(
  file: string,
  modelDir: string,
  options: CalibrationFileOptions = {},
): Promise<number[][]> {
  const samples = options.samples ?? 32;
  const seqlen = options.seqlen ?? 512;
  if (extname(file).toLowerCase() === '.json') {
    const value = parseJson(await read(file, 'calibration file'), file);
    if (
      !Array.isArray(value) ||
      !value.every((row) => Array.isArray(row) && row.length > 0 && row.every(Number.isInteger))
    ) {
      throw new QuantError(
        'QUANT_INVALID_OPTION',
        `calibration file ${file} must hold an array of token-id arrays`,
        {
          details: { option: 'calibration', file },
        },
      );
    }
    return (value as number[][]).slice(0, samples).map((row) => row.slice(0, seqlen));
  }
  const text = await read(file, 'calibration text');
  const tokenizerPath = join(modelDir, 'tokenizer.json');
  const tokenizerJson = parseJson(await read(tokenizerPath, 'tokenizer'), tokenizerPath);
  const configPath = join(modelDir, 'tokenizer_config.json');
  const tokenizerConfig = await readFile(configPath, 'utf8').then(
    (t) => parseJson(t, configPath),
    () => ({}),
  );
  const tokenizer = new Tokenizer(tokenizerJson as object, tokenizerConfig as object);
  const { ids } = tokenizer.encode(text, { add_special_tokens: false });
  if (ids.length < seqlen) {
    throw new QuantError(
      'QUANT_NO_CALIBRATION',
      `calibration text ${file} has ${ids.length} tokens, fewer than one window of ${seqlen}`,
      { details: { option: 'calibration', file, tokens: ids.length, seqlen } },
    );
  }
  const rng = createRng(options.seed ?? 0);
  return Array.from({ length: samples }, () => {
    const start = rng.int(ids.length - seqlen + 1);
    return Array.from(ids.slice(start, start + seqlen), Number);
  });
}
