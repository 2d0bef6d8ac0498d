/**
 * Graph step of RMSNorm folding (brief §7.1; `foldRmsNormWeight` is the math): γ of input_layernorm goes
 * into q/k/v, γ of post_attention_layernorm into gate/up, the final γ into the LM head; then every γ is
 * set to 1 so the norm is the pure x/rms(x) that commutes with R1. Untie the head first.
 */
import type { DecoderAnatomy, NormAnatomy, OnnxModel, ProjectionAnatomy } from '@x/core';
import { foldRmsNormWeight } from '../fold/fold-rms-norm';
import { readProjectionWeight, readVector, writeProjectionWeight, writeVector } from './projection-weights';

function fold(model: OnnxModel, norm: NormAnatomy, consumers: readonly ProjectionAnatomy[]): void {
  const gamma = readVector(model, norm.weight);
  for (const projection of consumers) {
    const { matrix, layout } = readProjectionWeight(model, projection);
    writeProjectionWeight(model, projection, foldRmsNormWeight(gamma, matrix, { layout }));
  }
  writeVector(model, norm.weight, new Float32Array(gamma.length).fill(1));
}

/** Folds every norm weight of the decoder into its consumers, in place. */
export function foldNorms(model: OnnxModel, anatomy: DecoderAnatomy): void {
  for (const layer of anatomy.layers) {
    fold(model, layer.inputNorm, [layer.q, layer.k, layer.v]);
    fold(model, layer.postAttentionNorm, [layer.gate, layer.up]);
  }
  fold(model, anatomy.finalNorm, [anatomy.lmHead]);
}
