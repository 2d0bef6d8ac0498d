import { XError } from '../errors';
import { createRng } from '../rng';
import { type DecoderConfig, validateDecoderConfig } from './decoder-config';

/**
 * One decoder layer's parameters in PyTorch `nn.Linear` layout: a projection from `in` to `out` features is a
 * row-major `[out, in]` matrix (`y = x W^T`). Norm weights are `[hidden]`.
 */
export interface DecoderLayerWeights {
  /** `input_layernorm.weight` `[hidden]`. */
  inputNorm: Float32Array;
  /** `self_attn.q_proj.weight` `[numHeads * headDim, hidden]`. */
  qProj: Float32Array;
  /** `self_attn.k_proj.weight` `[numKvHeads * headDim, hidden]`. */
  kProj: Float32Array;
  /** `self_attn.v_proj.weight` `[numKvHeads * headDim, hidden]`. */
  vProj: Float32Array;
  /** `self_attn.o_proj.weight` `[hidden, numHeads * headDim]`. */
  oProj: Float32Array;
  /** `post_attention_layernorm.weight` `[hidden]`. */
  postAttentionNorm: Float32Array;
  /** `mlp.gate_proj.weight` `[intermediate, hidden]`. */
  gateProj: Float32Array;
  /** `mlp.up_proj.weight` `[intermediate, hidden]`. */
  upProj: Float32Array;
  /** `mlp.down_proj.weight` `[hidden, intermediate]`. */
  downProj: Float32Array;
}

/** All parameters of a Llama decoder, HF layout. */
export interface DecoderWeights {
  /** `model.embed_tokens.weight` `[vocab, hidden]`. */
  embedTokens: Float32Array;
  layers: DecoderLayerWeights[];
  /** `model.norm.weight` `[hidden]`. */
  finalNorm: Float32Array;
  /** `lm_head.weight` `[vocab, hidden]`; absent when `config.tieWordEmbeddings` (the head is `embedTokens`). */
  lmHead?: Float32Array;
}

export interface CreateDecoderWeightsOptions {
  /** Seed for `createRng`; the same seed and config give the same weights. */
  seed: number;
  /**
   * Multiplies every random matrix: a projection with `in` input features draws from N(0, scale² / in), the
   * embedding from N(0, scale²), so activations keep roughly unit size at any width. Norm weights are
   * `1 + 0.1·N(0, 1)` whatever the scale, so a graph that forgot them would not pass for correct.
   * @defaultValue 1
   */
  scale?: number;
}

/** The `[out, in]` dims of each layer field, for building and checking. */
export function layerWeightDims(config: DecoderConfig): Record<keyof DecoderLayerWeights, readonly number[]> {
  const { hiddenSize, numHeads, numKvHeads, headDim, intermediateSize } = config;
  return {
    inputNorm: [hiddenSize],
    qProj: [numHeads * headDim, hiddenSize],
    kProj: [numKvHeads * headDim, hiddenSize],
    vProj: [numKvHeads * headDim, hiddenSize],
    oProj: [hiddenSize, numHeads * headDim],
    postAttentionNorm: [hiddenSize],
    gateProj: [intermediateSize, hiddenSize],
    upProj: [intermediateSize, hiddenSize],
    downProj: [hiddenSize, intermediateSize],
  };
}

const layerFields = [
  'inputNorm',
  'qProj',
  'kProj',
  'vProj',
  'oProj',
  'postAttentionNorm',
  'gateProj',
  'upProj',
  'downProj',
] as const satisfies readonly (keyof DecoderLayerWeights)[];

/**
 * Random decoder weights for tests and fixtures, seeded (draw order: embedding, then per layer the fields in
 * declaration order, then final norm, then the LM head when untied).
 */
export function createDecoderWeights(
  config: DecoderConfig,
  options: CreateDecoderWeightsOptions,
): DecoderWeights {
  validateDecoderConfig(config, 'createDecoderWeights');
  const scale = options.scale ?? 1;
  if (!Number.isFinite(options.seed)) {
    throw new XError('X_INVALID_ARGUMENT', `createDecoderWeights: options.seed must be a finite number`, {
      details: { option: 'seed', value: options.seed },
    });
  }
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new XError('X_INVALID_ARGUMENT', `createDecoderWeights: options.scale must be a positive number`, {
      details: { option: 'scale', value: scale },
    });
  }
  const rng = createRng(options.seed);
  const normal = (dims: readonly number[], std: number): Float32Array => {
    const out = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
    return out;
  };
  const norm = (size: number): Float32Array => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = 1 + 0.1 * rng.normal();
    return out;
  };
  const linear = (dims: readonly number[]): Float32Array => normal(dims, scale / Math.sqrt(dims[1]));

  const embedTokens = normal([config.vocabSize, config.hiddenSize], scale);
  const dims = layerWeightDims(config);
  const layers: DecoderLayerWeights[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    const entry = {} as DecoderLayerWeights;
    for (const field of layerFields) {
      entry[field] = dims[field].length === 1 ? norm(dims[field][0]) : linear(dims[field]);
    }
    layers.push(entry);
  }
  const finalNorm = norm(config.hiddenSize);
  const weights: DecoderWeights = { embedTokens, layers, finalNorm };
  if (!config.tieWordEmbeddings) weights.lmHead = linear([config.vocabSize, config.hiddenSize]);
  return weights;
}

/** Throws `X_SHAPE_MISMATCH` naming the first weight whose length disagrees with the config. */
export function validateDecoderWeights(config: DecoderConfig, weights: DecoderWeights, caller: string): void {
  const check = (field: string, data: Float32Array | undefined, dims: readonly number[]): void => {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (!(data instanceof Float32Array) || data.length !== expected) {
      throw new XError(
        'X_SHAPE_MISMATCH',
        `${caller}: weights.${field} must be a Float32Array of ${expected} elements [${dims.join(', ')}], got ${
          data instanceof Float32Array ? data.length : typeof data
        }`,
        { details: { argument: 'weights', field, expected: [...dims] } },
      );
    }
  };
  check('embedTokens', weights.embedTokens, [config.vocabSize, config.hiddenSize]);
  if (!Array.isArray(weights.layers) || weights.layers.length !== config.numLayers) {
    throw new XError(
      'X_SHAPE_MISMATCH',
      `${caller}: weights.layers has ${weights.layers?.length} entries, config.numLayers is ${config.numLayers}`,
      { details: { argument: 'weights', field: 'layers' } },
    );
  }
  const dims = layerWeightDims(config);
  weights.layers.forEach((layer, index) => {
    for (const field of layerFields) check(`layers[${index}].${field}`, layer[field], dims[field]);
  });
  check('finalNorm', weights.finalNorm, [config.hiddenSize]);
  if (config.tieWordEmbeddings) {
    if (weights.lmHead !== undefined) {
      throw new XError(
        'X_INVALID_ARGUMENT',
        `${caller}: weights.lmHead is set but config.tieWordEmbeddings is true`,
        {
          details: { argument: 'weights', field: 'lmHead' },
        },
      );
    }
  } else {
    check('lmHead', weights.lmHead, [config.vocabSize, config.hiddenSize]);
  }
}
