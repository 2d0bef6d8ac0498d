// Test fixture: a seeded random Llama decoder (builder-made, decomposed form) whose vocabulary matches the tiny
// tokenizer in src/tokenizer/__fixtures__/tiny-tokenizer (512 ids), plus a model folder in the transformers.js layout.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDecoderModel } from '../../builder/build-decoder-model';
import type { DecoderConfig } from '../../builder/decoder-config';
import { createDecoderWeights, type DecoderWeights } from '../../builder/decoder-weights';
import { onnx } from '../../onnx/proto';

export const TINY_TOKENIZER_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  'tokenizer',
  '__fixtures__',
  'tiny-tokenizer',
);

export const TINY_DECODER_CONFIG: DecoderConfig = {
  vocabSize: 512,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  intermediateSize: 48,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
  maxPositionEmbeddings: 512,
};

export interface TinyDecoder {
  config: DecoderConfig;
  weights: DecoderWeights;
  bytes: Uint8Array;
}

/** The decoder with weights from `seed`; `scale` 3 makes its greedy path vary instead of repeating one token. */
export function createTinyDecoder(seed = 7, scale = 3): TinyDecoder {
  const weights = createDecoderWeights(TINY_DECODER_CONFIG, { seed, scale });
  const bytes = onnx.ModelProto.encode(buildDecoderModel(TINY_DECODER_CONFIG, weights)).finish();
  return { config: TINY_DECODER_CONFIG, weights, bytes };
}

/** Writes `<dir>/onnx/model.onnx` + the tiny tokenizer files: a model folder the CLI can open. */
export function writeTinyModelFolder(dir: string, decoder = createTinyDecoder()): string {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), decoder.bytes);
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
    copyFileSync(join(TINY_TOKENIZER_DIR, file), join(dir, file));
  }
  return dir;
}
