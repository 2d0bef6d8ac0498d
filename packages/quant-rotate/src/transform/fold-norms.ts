/**
 * Graph step of RMSNorm folding (brief §7.1; `foldRmsNormWeight` is the math): γ of input_layernorm goes
 * into q/k/v, γ of post_attention_layernorm into gate/up, the final γ into the LM head; then every γ is
 * set to 1 so the norm is the pure x/rms(x) that commutes with R1. Untie the head first.
 */
import type { DecoderAnatomy, NormAnatomy, OnnxModel, ProjectionAnatomy } from '@x/core';
import { foldRmsNormWeight } from '../fold/fold-rms-norm';
import {
  editFloatInitializer,
  layoutOf,
  readProjectionWeight,
  readVector,
  writeProjectionWeight,
  writeVector,
} from './projection-weights';

function fold(
  model: OnnxModel,
  norm: NormAnatomy,
  consumers: readonly ProjectionAnatomy[],
  inPlace: boolean,
): void {
  const gamma = readVector(model, norm.weight);
  for (const projection of consumers) {
    if (!inPlace) {
      const { matrix, layout } = readProjectionWeight(model, projection);
      writeProjectionWeight(model, projection, foldRmsNormWeight(gamma, matrix, { layout }));
      continue;
    }
    // Same product as foldRmsNormWeight, on the stored bytes: [out, in] scales columns, [in, out] rows.
    const outIn = layoutOf(projection) === 'out-in';
    editFloatInitializer(model, projection.weight, true, (data) => {
      const cols = outIn ? gamma.length : data.length / gamma.length;
      for (let i = 0; i < data.length; i++) data[i] *= gamma[outIn ? i % cols : Math.floor(i / cols)];
    });
  }
  writeVector(model, norm.weight, new Float32Array(gamma.length).fill(1));
}

/**
 * Folds every norm weight of the decoder into its consumers (new initializers; with `inPlace`, the stored
 * weight bytes are scaled instead).
 */
export function foldNorms(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  options: { inPlace?: boolean } = {},
): void {
  const inPlace = options.inPlace ?? false;
  for (const layer of anatomy.layers) {
    fold(model, layer.inputNorm, [layer.q, layer.k, layer.v], inPlace);
    fold(model, layer.postAttentionNorm, [layer.gate, layer.up], inPlace);
  }
  fold(model, anatomy.finalNorm, [anatomy.lmHead], inPlace);
}
