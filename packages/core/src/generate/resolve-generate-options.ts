import { XError } from '../errors';
import type { GenerateOptions, ResolvedGenerateOptions } from './types';

/** Checks `generate` options and fills in defaults (each documented on `GenerateOptions`). */
export function resolveGenerateOptions(
  options: GenerateOptions,
  vocabSize?: number,
): ResolvedGenerateOptions {
  const inputIds = options?.inputIds;
  if (!inputIds || typeof inputIds.length !== 'number' || inputIds.length === 0) {
    throw invalid(
      'inputIds',
      inputIds === undefined ? 'undefined' : 'empty',
      'a non-empty array of token ids',
    );
  }
  for (let i = 0; i < inputIds.length; i++) {
    const id = inputIds[i];
    if (!Number.isInteger(id) || id < 0 || (vocabSize !== undefined && id >= vocabSize)) {
      throw invalid(`inputIds[${i}]`, id, vocabSize ? `a token id in 0..${vocabSize - 1}` : 'a token id');
    }
  }
  const maxNewTokens = options.maxNewTokens ?? 32;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1)
    throw invalid('maxNewTokens', maxNewTokens, 'an integer >= 1');
  const temperature = options.temperature ?? 0;
  if (!(temperature >= 0) || !Number.isFinite(temperature))
    throw invalid('temperature', temperature, 'a number >= 0');
  const topK = options.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0) throw invalid('topK', topK, 'an integer >= 0');
  const topP = options.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw invalid('topP', topP, 'a number in (0, 1]');
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw invalid('seed', seed, 'a finite number');
  const stopIds = [...(options.stopIds ?? [])];
  if (stopIds.some((id) => !Number.isInteger(id) || id < 0))
    throw invalid('stopIds', stopIds.join(','), 'token ids');
  return {
    maxNewTokens,
    mode: temperature === 0 ? 'greedy' : 'sample',
    temperature,
    topK,
    topP,
    seed,
    stopIds,
    promptTokens: inputIds.length,
  };
}

function invalid(option: string, value: unknown, expected: string): XError {
  return new XError(
    'X_INVALID_ARGUMENT',
    `generate: options.${option} must be ${expected}, got ${String(value)}`,
    {
      details: { option, value },
    },
  );
}
