/** The tiny builder decoder the pipeline tests share, and how to get its logits on a backend. */
import {
  buildDecoderModel,
  createDecoderWeights,
  type DecoderConfig,
  type DecoderForm,
  findDecoderAnatomy,
  OnnxModel,
  type Tensor,
} from '@x/core';
import { createDecoderFeeds } from '../src/calibrate/decoder-feeds';
import { type backends, runModel } from './helpers';

export const config: DecoderConfig = {
  vocabSize: 64,
  hiddenSize: 48, // 12·4: R1 uses a Paley Hadamard factor
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 80, // 20·4: the online R4 is the two-MatMul Kronecker form
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: true,
};
export const ids = [5, 17, 3, 60, 22, 9, 41];
export const calibration = {
  sequences: Array.from({ length: 4 }, (_, s) => Array.from({ length: 12 }, (_, i) => (s * 13 + i * 7) % 64)),
};

export function decoder(form: DecoderForm, fusedRotary?: 'gqa' | 'rotary-embedding'): OnnxModel {
  const weights = createDecoderWeights(config, { seed: 3 });
  return new OnnxModel(buildDecoderModel(config, weights, { form, ...(fusedRotary ? { fusedRotary } : {}) }));
}

export async function logits(backend: (typeof backends)[number], model: OnnxModel): Promise<Tensor> {
  const anatomy = findDecoderAnatomy(decoder('decomposed').proto); // same I/O names for every form
  return (await runModel(backend, model, createDecoderFeeds(anatomy, ids))).logits;
}

export function absMax(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}
