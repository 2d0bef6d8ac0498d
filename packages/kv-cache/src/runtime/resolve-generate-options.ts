import { invalidOption } from '../errors';
import type { GeneratorGenerateOptions, ResolvedGeneratorGenerateOptions } from './types';

/** Checks generation options and fills in the defaults documented on `GeneratorGenerateOptions`. */
export function resolveGeneratorGenerateOptions(
  inputIds: ArrayLike<number>,
  options: GeneratorGenerateOptions = {},
  vocabSize?: number,
): ResolvedGeneratorGenerateOptions {
  const caller = 'generate';
  if (!inputIds || typeof inputIds.length !== 'number' || inputIds.length === 0) {
    throw invalidOption(caller, 'inputIds', inputIds, 'a non-empty array of token ids');
  }
  for (let i = 0; i < inputIds.length; i++) {
    const id = inputIds[i];
    if (!Number.isInteger(id) || id < 0 || (vocabSize !== undefined && id >= vocabSize)) {
      throw invalidOption(
        caller,
        `inputIds[${i}]`,
        id,
        vocabSize ? `a token id in 0..${vocabSize - 1}` : 'a token id',
      );
    }
  }
  const maxNewTokens = options.maxNewTokens ?? 32;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw invalidOption(caller, 'options.maxNewTokens', maxNewTokens, 'an integer >= 1');
  }
  const temperature = options.temperature ?? 0;
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw invalidOption(caller, 'options.temperature', temperature, 'a number >= 0');
  }
  const topK = options.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0)
    throw invalidOption(caller, 'options.topK', topK, 'an integer >= 0');
  const topP = options.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw invalidOption(caller, 'options.topP', topP, 'a number in (0, 1]');
  const repetitionPenalty = options.repetitionPenalty ?? 1;
  if (!(repetitionPenalty > 0) || !Number.isFinite(repetitionPenalty)) {
    throw invalidOption(caller, 'options.repetitionPenalty', repetitionPenalty, 'a number > 0');
  }
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw invalidOption(caller, 'options.seed', seed, 'a finite number');
  const stopIds = [...(options.stopIds ?? [])];
  if (stopIds.some((id) => !Number.isInteger(id) || id < 0)) {
    throw invalidOption(caller, 'options.stopIds', stopIds.join(','), 'token ids');
  }
  return {
    maxNewTokens,
    mode: temperature === 0 ? 'greedy' : 'sample',
    temperature,
    topK,
    topP,
    repetitionPenalty,
    seed,
    stopIds,
    promptTokens: inputIds.length,
  };
}
