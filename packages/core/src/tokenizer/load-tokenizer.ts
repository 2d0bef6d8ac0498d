import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XError } from '../errors';
import { createTokenizer } from './create-tokenizer';
import type { TextTokenizer } from './types';

/**
 * Reads `tokenizer.json` and `tokenizer_config.json` from a model folder (the HF / transformers.js layout) and
 * builds a `TextTokenizer` with `@huggingface/tokenizers`. Nothing is fetched. `tokenizer_config.json` is
 * optional (then there is no bos/eos id).
 *
 * Errors: `X_TOKENIZER` naming the file when it is missing, unreadable, not JSON or not a tokenizer.
 */
export async function loadTokenizer(modelDir: string): Promise<TextTokenizer> {
  const tokenizerPath = join(modelDir, 'tokenizer.json');
  const configPath = join(modelDir, 'tokenizer_config.json');
  const tokenizerJson = await readJson(tokenizerPath, true);
  const config = await readJson(configPath, false);
  return createTokenizer(tokenizerJson, config ?? {}, tokenizerPath);
}

async function readJson(path: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw new XError(
      'X_TOKENIZER',
      code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${(error as Error).message}`,
      { cause: error, details: { file: path } },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new XError('X_TOKENIZER', `${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
      details: { file: path },
    });
  }
}
