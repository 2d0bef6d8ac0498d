/**
 * Graph step of the offline rotations (brief §7.2; the math is in fold/):
 * - R1 (d x d): embedding `E ← E R1`; q, k, v, gate, up, lm_head read x R1 (`W ← W R1`); o and down write
 *   y R1 (`W ← R1ᵀ W`, `b ← b R1`). The residual stream becomes h R1.
 * - R2 (hd x hd per KV head): v_proj output per KV head (`W ← R2ᵀ W`, bias likewise), o_proj input per query
 *   head with the R2 of its KV head.
 * Norms must be folded first (γ = 1).
 */
import type { DecoderAnatomy, OnnxModel, ProjectionAnatomy } from '@x/core';
import type { Kernels } from '@x/kernels-wasm';
import { rotateHeadsInput, rotateHeadsOutput } from '../fold/rotate-heads';
import {
  type PackedRotation,
  packRotation,
  rotateColumnsInPlace,
  rotateRowsInPlace,
} from '../fold/rotate-in-place';
import { rotateEmbedding, rotateLinearInput, rotateLinearOutput } from '../fold/rotate-linear';
import type { Matrix } from '../types';
import {
  editFloatInitializer,
  layoutOf,
  readProjectionWeight,
  readVector,
  writeProjectionWeight,
  writeVector,
} from './projection-weights';

export interface FuseOptions {
  /**
   * Run the products on @x/kernels-wasm's SIMD GEMM, block by block (`fold/rotate-in-place.ts`), instead of
   * the fp64 TS twin (`fold/rotate-linear.ts`).
   */
  kernels?: Kernels;
  /** Overwrite the initializers' own bytes (the model must not share them with another model). */
  inPlace?: boolean;
}

function rotateInput(model: OnnxModel, projection: ProjectionAnatomy, rotation: Matrix): void {
  const { matrix, layout } = readProjectionWeight(model, projection);
  writeProjectionWeight(model, projection, rotateLinearInput(matrix, rotation, { layout }));
}

function rotateOutput(model: OnnxModel, projection: ProjectionAnatomy, rotation: Matrix): void {
  const { matrix, layout } = readProjectionWeight(model, projection);
  const bias = projection.bias === undefined ? undefined : readVector(model, projection.bias);
  const rotated = rotateLinearOutput(matrix, rotation, { layout, bias });
  writeProjectionWeight(model, projection, rotated.weight);
  if (projection.bias !== undefined && rotated.bias !== undefined)
    writeVector(model, projection.bias, rotated.bias);
}

/** W R (input side) or Rᵀ W (output side) through the kernels; the bias of an output side gets b R. */
function rotateWithKernels(
  model: OnnxModel,
  projection: ProjectionAnatomy,
  rotation: PackedRotation,
  side: 'input' | 'output',
  inPlace: boolean,
): void {
  // [out, in] input side and [in, out] output side: rows are d-vectors; otherwise columns are.
  const rows = (layoutOf(projection) === 'out-in') === (side === 'input');
  editFloatInitializer(model, projection.weight, inPlace, (data) => {
    if (rows) rotateRowsInPlace(rotation, data);
    else rotateColumnsInPlace(rotation, data);
  });
  if (side === 'output' && projection.bias !== undefined)
    editFloatInitializer(model, projection.bias, inPlace, (data) => rotateRowsInPlace(rotation, data));
}

function fuseR1WithKernels(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  r1: Matrix,
  kernels: Kernels,
  inPlace: boolean,
): void {
  const rotation = packRotation(kernels, r1);
  try {
    editFloatInitializer(model, anatomy.embedding.weight, inPlace, (data) =>
      rotateRowsInPlace(rotation, data),
    );
    for (const layer of anatomy.layers) {
      for (const p of [layer.q, layer.k, layer.v, layer.gate, layer.up])
        rotateWithKernels(model, p, rotation, 'input', inPlace);
      for (const p of [layer.o, layer.down]) rotateWithKernels(model, p, rotation, 'output', inPlace);
    }
    rotateWithKernels(model, anatomy.lmHead, rotation, 'input', inPlace);
  } finally {
    rotation.dispose();
  }
}

/** Fuses R1 into every weight that touches the residual stream, in place. */
export function fuseR1(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  r1: Matrix,
  options: FuseOptions = {},
): void {
  if (options.kernels) {
    fuseR1WithKernels(model, anatomy, r1, options.kernels, options.inPlace ?? false);
    return;
  }
  const { embedding } = anatomy;
  const e = readVector(model, embedding.weight);
  const rotated = rotateEmbedding({ rows: embedding.vocabSize, cols: embedding.hiddenSize, data: e }, r1);
  writeVector(model, embedding.weight, rotated.data);
  for (const layer of anatomy.layers) {
    for (const p of [layer.q, layer.k, layer.v, layer.gate, layer.up]) rotateInput(model, p, r1);
    for (const p of [layer.o, layer.down]) rotateOutput(model, p, r1);
  }
  rotateInput(model, anatomy.lmHead, r1);
}

/** Fuses the per-KV-head R2 of each layer (`r2[layer][kvHead]`) into v_proj and o_proj, in place. */
export function fuseR2(model: OnnxModel, anatomy: DecoderAnatomy, r2: readonly (readonly Matrix[])[]): void {
  anatomy.layers.forEach((layer, l) => {
    const rotations = r2[l];
    const v = readProjectionWeight(model, layer.v);
    writeProjectionWeight(model, layer.v, rotateHeadsOutput(v.matrix, rotations, { layout: v.layout }));
    if (layer.v.bias !== undefined) {
      const bias = readVector(model, layer.v.bias);
      const rotatedBias = rotateHeadsOutput({ rows: 1, cols: bias.length, data: bias }, rotations, {
        layout: 'in-out',
      });
      writeVector(model, layer.v.bias, rotatedBias.data);
    }
    const o = readProjectionWeight(model, layer.o);
    writeProjectionWeight(
      model,
      layer.o,
      rotateHeadsInput(o.matrix, rotations, { layout: o.layout, numHeads: layer.attention.numHeads }),
    );
  });
}
