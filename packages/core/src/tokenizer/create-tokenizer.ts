import { Tokenizer } from '@huggingface/tokenizers';
import { XError } from '../errors';
import type { DecodeOptions, EncodeOptions, TextTokenizer } from './types';

/**
 * A `TextTokenizer` over already-parsed `tokenizer.json` and `tokenizer_config.json` objects (what a browser
 * fetches). `loadTokenizer(modelDir)` reads the files and calls this. `source` names the file in errors.
 *
 * Errors: `X_TOKENIZER` (not a tokenizer.json, a bos/eos token missing from the vocabulary).
 */
export function createTokenizer(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
  source = 'tokenizer.json',
): TextTokenizer {
  if (!isRecord(tokenizerJson) || !isRecord(tokenizerJson.model)) {
    throw new XError('X_TOKENIZER', `${source} is not a tokenizer.json: it has no "model" object`, {
      details: { file: source },
    });
  }
  const config = isRecord(tokenizerConfig) ? tokenizerConfig : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, config);
  } catch (error) {
    throw new XError(
      'X_TOKENIZER',
      `${source} could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { file: source } },
    );
  }
  const vocab = tokenizer.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const bosId = specialId(tokenizer, config.bos_token, 'bos_token', source);
  const eosId = specialId(tokenizer, config.eos_token, 'eos_token', source);
  return {
    source,
    bosId,
    eosId,
    vocabSize,
    encode: (text: string, options: EncodeOptions = {}) => {
      if (typeof text !== 'string') {
        throw new XError('X_INVALID_ARGUMENT', `encode: text must be a string, got ${typeof text}`, {
          details: { argument: 'text' },
        });
      }
      return tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
    },
    decode: (ids: ArrayLike<number>, options: DecodeOptions = {}) => {
      const list = Array.from(ids);
      for (let index = 0; index < list.length; index++) {
        const id = list[index];
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new XError(
            'X_INVALID_ARGUMENT',
            `decode: ids[${index}] = ${id} is not a token id of ${source} (0..${vocabSize - 1})`,
            { details: { argument: 'ids', index, id } },
          );
        }
      }
      return tokenizer.decode(list, {
        skip_special_tokens: options.skipSpecialTokens ?? false,
        clean_up_tokenization_spaces: false,
      });
    },
  };
}

/** `bos_token`/`eos_token` is a string or an AddedToken object `{ content }`; absent or null means none. */
function specialId(tokenizer: Tokenizer, token: unknown, field: string, source: string): number | undefined {
  if (token === undefined || token === null) return undefined;
  const content = typeof token === 'string' ? token : isRecord(token) ? token.content : undefined;
  if (typeof content !== 'string') {
    throw new XError(
      'X_TOKENIZER',
      `tokenizer_config.json beside ${source}: ${field} is not a token string`,
      {
        details: { file: source, field },
      },
    );
  }
  const id = tokenizer.token_to_id(content);
  if (id === undefined) {
    throw new XError(
      'X_TOKENIZER',
      `tokenizer_config.json beside ${source}: ${field} ${JSON.stringify(content)} is not in the vocabulary`,
      { details: { file: source, field, token: content } },
    );
  }
  return id;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
