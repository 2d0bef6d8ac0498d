// Test-only: a tiny seeded Llama decoder built with @x/core's builder, plus calibration sequences.
import {
  buildDecoderModel,
  createDecoderWeights,
  createRng,
  type DecoderConfig,
  type DecoderForm,
  type OnnxModel,
  onnx,
  parseModel,
} from '@x/core';

export const tinyConfig: DecoderConfig = {
  vocabSize: 64,
  hiddenSize: 32,
  numLayers: 3,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  intermediateSize: 64,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
  maxPositionEmbeddings: 64,
};

export function tinyDecoder(form: DecoderForm, seed = 5): OnnxModel {
  const weights = createDecoderWeights(tinyConfig, { seed });
  return parseModel(onnx.ModelProto.encode(buildDecoderModel(tinyConfig, weights, { form })).finish());
}

export function calibrationSequences(samples: number, seqlen: number, seed = 9): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: samples }, () =>
    Array.from({ length: seqlen }, () => rng.int(tinyConfig.vocabSize)),
  );
}
