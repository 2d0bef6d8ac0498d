import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { XError } from '../errors';
import { loadTokenizer } from '../tokenizer/load-tokenizer';
import { type CalibrationOptions, sampleCalibrationSet } from './calibration';

/**
 * Calibration sequences from a file, for CLIs and model-folder APIs. A `.json` file holds an array of token-id
 * arrays, used as given (the first `samples`, each cut to `seqlen`; a shorter one is an error). Any other file is
 * UTF-8 text, tokenized once without special tokens with the model folder's tokenizer and cut into seeded windows
 * by `sampleCalibrationSet` (the papers' protocol over one token stream, as GPTQ/QuaRot draw from WikiText-2).
 *
 * Errors: `X_INVALID_ARGUMENT` (unreadable or malformed file, short sequence; `details.option` is `calibration`),
 * `X_TOKENIZER`, `X_EVAL` (text shorter than one window).
 */
export async function loadCalibrationFile(
  file: string,
  modelDir: string,
  options: CalibrationOptions = {},
): Promise<number[][]> {
  const samples = options.samples ?? 128;
  const seqlen = options.seqlen ?? 2048;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw invalid(`cannot read calibration file ${file}: ${(error as Error).message}`, file, error);
  }
  if (extname(file).toLowerCase() !== '.json') {
    const tokenizer = await loadTokenizer(modelDir);
    return sampleCalibrationSet(tokenizer.encode(text, { addSpecialTokens: false }), options).sequences;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`calibration file ${file} is not valid JSON`, file, error);
  }
  if (!Array.isArray(value) || !value.every((row) => Array.isArray(row) && row.every(Number.isInteger))) {
    throw invalid(`calibration file ${file} must hold an array of token-id arrays`, file);
  }
  return (value as number[][]).slice(0, samples).map((row, index) => {
    if (row.length < seqlen) {
      throw invalid(
        `calibration file ${file}: sequence ${index} has ${row.length} tokens, fewer than seqlen ${seqlen}`,
        file,
      );
    }
    return row.slice(0, seqlen);
  });
}

function invalid(message: string, file: string, cause?: unknown): XError {
  return new XError('X_INVALID_ARGUMENT', message, { cause, details: { option: 'calibration', file } });
}
