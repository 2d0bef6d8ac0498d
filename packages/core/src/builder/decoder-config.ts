import { XError } from '../errors';

/**
 * The shape of a Llama-family decoder (HF `LlamaConfig` fields, camel-cased).
 * `headDim` is separate from `hiddenSize / numHeads` so shapes like Gemma's are expressible.
 */
export interface DecoderConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads; `numHeads` must be a multiple (GQA ratio `numHeads / numKvHeads`). */
  numKvHeads: number;
  /** Per-head width; even (RoPE rotates pairs of halves). */
  headDim: number;
  intermediateSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** When true the LM head reuses the embedding matrix and `DecoderWeights.lmHead` is absent. */
  tieWordEmbeddings: boolean;
  /**
   * Rows of the fused form's cos/sin caches (the largest position id it can serve).
   * @defaultValue 2048
   */
  maxPositionEmbeddings?: number;
}

/** Default for `DecoderConfig.maxPositionEmbeddings`. */
export const DEFAULT_MAX_POSITION_EMBEDDINGS = 2048;

/** Throws `X_INVALID_ARGUMENT` naming the first bad field of a decoder config. */
export function validateDecoderConfig(config: DecoderConfig, caller: string): void {
  const positive = [
    'vocabSize',
    'hiddenSize',
    'numLayers',
    'numHeads',
    'numKvHeads',
    'headDim',
    'intermediateSize',
  ] as const;
  for (const field of positive) {
    const value = config[field];
    if (!Number.isInteger(value) || value <= 0) {
      throw invalid(caller, field, value, 'a positive integer');
    }
  }
  if (config.numHeads % config.numKvHeads !== 0) {
    throw invalid(caller, 'numKvHeads', config.numKvHeads, `a divisor of numHeads (${config.numHeads})`);
  }
  if (config.headDim % 2 !== 0)
    throw invalid(caller, 'headDim', config.headDim, 'even (RoPE rotates halves)');
  if (!(config.rmsNormEps > 0)) throw invalid(caller, 'rmsNormEps', config.rmsNormEps, 'a positive number');
  if (!(config.ropeTheta > 0)) throw invalid(caller, 'ropeTheta', config.ropeTheta, 'a positive number');
  if (typeof config.tieWordEmbeddings !== 'boolean') {
    throw invalid(caller, 'tieWordEmbeddings', config.tieWordEmbeddings, 'a boolean');
  }
  const maxPositions = config.maxPositionEmbeddings;
  if (maxPositions !== undefined && (!Number.isInteger(maxPositions) || maxPositions <= 0)) {
    throw invalid(caller, 'maxPositionEmbeddings', maxPositions, 'a positive integer');
  }
}

function invalid(caller: string, field: string, value: unknown, expected: string): XError {
  return new XError(
    'X_INVALID_ARGUMENT',
    `${caller}: config.${field} must be ${expected}, got ${String(value)}`,
    {
      details: { argument: 'config', option: field, value },
    },
  );
}
