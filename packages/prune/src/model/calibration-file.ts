import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { sampleCalibrationSet } from '@x/core';
import { PruneError } from '../errors';

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PruneError('PRUNE_INVALID_OPTION', `cannot read ${what} ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { option: 'calibration', file: path },
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PruneError('PRUNE_INVALID_OPTION', `${what} ${path} is not valid JSON`, {
      cause: error,
      details: { option: 'calibration', file: path },
    });
  }
}

/**
 * Calibration sequences from a file: a `.json` array of token-id arrays is used as is (each cut or checked to
 * `seqlen`); any other file is read as UTF-8 text, tokenized once with the model folder's `tokenizer.json`
 * (`@huggingface/tokenizers`, no special tokens) and cut into seeded random windows by core's `sampleCalibrationSet`
 * (the papers' protocol over one token stream, as GPTQ/QuaRot draw from WikiText-2).
 */
export interface CalibrationFileOptions {
  /** Sequences (the papers use 128). */
  samples: number;
  /** Tokens per sequence (the papers use 2048). */
  seqlen: number;
  /** Seed of the window draws. @defaultValue 0 */
  seed?: number;
}

export async function loadCalibrationFile(
  file: string,
  modelDir: string,
  options: CalibrationFileOptions,
): Promise<number[][]> {
  if (extname(file).toLowerCase() === '.json') {
    const value = await readJson(file, 'calibration file');
    if (!Array.isArray(value) || !value.every((row) => Array.isArray(row) && row.every(Number.isInteger))) {
      throw new PruneError(
        'PRUNE_INVALID_OPTION',
        `calibration file ${file} must hold an array of token-id arrays`,
        {
          details: { option: 'calibration', file },
        },
      );
    }
    const rows = (value as number[][]).slice(0, options.samples);
    return rows.map((row, index) => {
      if (row.length < options.seqlen) {
        throw new PruneError(
          'PRUNE_INVALID_OPTION',
          `calibration file ${file}: sequence ${index} has ${row.length} tokens, fewer than seqlen ${options.seqlen}`,
          { details: { option: 'seqlen', file, sequence: index } },
        );
      }
      return row.slice(0, options.seqlen);
    });
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PruneError(
      'PRUNE_INVALID_OPTION',
      `cannot read calibration text ${file}: ${(error as Error).message}`,
      {
        cause: error,
        details: { option: 'calibration', file },
      },
    );
  }
  const tokenizerJson = await readJson(join(modelDir, 'tokenizer.json'), 'tokenizer');
  let tokenizerConfig: unknown = {};
  try {
    tokenizerConfig = JSON.parse(await readFile(join(modelDir, 'tokenizer_config.json'), 'utf8'));
  } catch {
    // optional
  }
  const tokenizer = new Tokenizer(tokenizerJson as object, tokenizerConfig as object);
  const { ids } = tokenizer.encode(text, { add_special_tokens: false });
  return sampleCalibrationSet(ids, options).sequences;
}
