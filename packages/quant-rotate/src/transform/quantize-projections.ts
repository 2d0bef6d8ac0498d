/**
 * Replaces float MatMul projections by `com.microsoft.MatMulNBits` nodes (brief §9.1) holding RTN or GPTQ
 * weights. The weight is taken as `[out, in]` (transposing an ONNX `[in, out]` initializer), quantized along
 * `in`, packed, and the node is swapped in place (same input, same output value). Dead initializers and
 * Transposes are pruned afterwards by the caller.
 */
import type { OnnxModel, ProjectionAnatomy } from '@x/core';
import { QuantError } from '../errors';
import { emitMatMulNBits } from '../graph/emit-matmul-nbits';
import { type GptqOptions, quantizeGptq } from '../quant/gptq';
import { packMatMulNBits } from '../quant/matmul-nbits';
import type { QuantizedWeight } from '../quant/quantized-weight';
import { quantizeRtn } from '../quant/rtn';
import type { Matrix } from '../types';
import { readProjectionWeight } from './projection-weights';

export interface ProjectionQuantOptions extends Omit<GptqOptions, 'onProgress' | 'signal' | 'groupSize'> {
  bits: 2 | 4 | 8;
  /** Requested group; a projection whose K it does not divide gets the largest power of two >= 16 that does. */
  groupSize: number;
  /** GPTQ when a Hessian is given, RTN otherwise. */
  hessian?: Matrix;
  accuracyLevel: number;
}

export interface ProjectionQuantReport {
  node: string;
  method: 'rtn' | 'gptq';
  bits: number;
  groupSize: number;
  inFeatures: number;
  outFeatures: number;
  /** Relative weight error ‖W − Ŵ‖_F / ‖W‖_F. */
  relativeError: number;
  /** GPTQ's loss estimate, when GPTQ ran. */
  gptqLoss?: number;
}

/** Aᵀ for A [m, n], float32. */
function transposeFloat32(a: Float32Array, m: number, n: number): Float32Array {
  const t = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

/** The group actually used for K input channels (0 = per channel). */
export function effectiveGroupSize(requested: number, k: number): number {
  if (requested === 0 || k % requested === 0) return requested;
  for (let g = 2 ** Math.floor(Math.log2(Math.min(requested, k))); g >= 16; g /= 2) if (k % g === 0) return g;
  return 0;
}

/** Quantizes one MatMul projection to MatMulNBits in place. */
export function quantizeProjection(
  model: OnnxModel,
  projection: ProjectionAnatomy,
  options: ProjectionQuantOptions,
): ProjectionQuantReport {
  const nodes = model.graph().node ?? [];
  const index = nodes.findIndex((n) => n.name === projection.node);
  if (index === -1 || nodes[index].opType !== 'MatMul') {
    throw new QuantError('QUANT_UNSUPPORTED_MODEL', `projection ${projection.node} is not a MatMul node`, {
      details: { node: projection.node },
    });
  }
  // Read-only use: no copy of the float weight (an LM head is vocab × d).
  const { matrix, layout } = readProjectionWeight(model, projection, { copy: false });
  // float32 like the stored weight (a float64 transpose would double the transient memory of an LM head)
  const w: Matrix =
    layout === 'out-in'
      ? matrix
      : {
          rows: matrix.cols,
          cols: matrix.rows,
          data: transposeFloat32(matrix.data, matrix.rows, matrix.cols),
        };
  const groupSize = effectiveGroupSize(options.groupSize, w.cols);
  const common = { bits: options.bits, symmetric: options.symmetric, groupSize, clip: options.clip };
  let quantized: QuantizedWeight;
  let gptqLoss: number | undefined;
  if (options.hessian) {
    const result = quantizeGptq(w, options.hessian, {
      ...common,
      damping: options.damping,
      actOrder: options.actOrder,
      blockSize: options.blockSize,
    });
    quantized = result.quantized;
    gptqLoss = result.loss;
  } else {
    quantized = quantizeRtn(w, common).quantized;
  }
  const packed = packMatMulNBits(quantized, groupSize === 0 ? {} : { blockSize: groupSize });
  const node = emitMatMulNBits(model, packed, {
    name: `${projection.node}_Q${options.bits}`,
    weightName: projection.weight,
    // The node's current input: an online R4 Hadamard may have been inserted in front of it.
    input: nodes[index].input?.[0] ?? projection.input,
    output: nodes[index].output?.[0] ?? projection.output,
    accuracyLevel: options.accuracyLevel,
  });
  nodes.splice(index, 1, node);
  // ‖W − Ŵ‖ with ŵ = (code − zero point)·scale (dequantizeWeight's formula), without materialising Ŵ
  const { codes, scales, zeroPoints } = quantized;
  const group = quantized.groupSize;
  const groups = w.cols / group;
  let err = 0;
  let norm = 0;
  for (let i = 0; i < codes.length; i++) {
    const g = Math.floor(i / w.cols) * groups + Math.floor((i % w.cols) / group);
    err += (Math.fround((codes[i] - zeroPoints[g]) * scales[g]) - w.data[i]) ** 2;
    norm += w.data[i] ** 2;
  }
  return {
    node: projection.node,
    method: options.hessian ? 'gptq' : 'rtn',
    bits: options.bits,
    groupSize: groupSize === 0 ? w.cols : groupSize,
    inFeatures: w.cols,
    outFeatures: w.rows,
    relativeError: norm === 0 ? 0 : Math.sqrt(err / norm),
    ...(gptqLoss === undefined ? {} : { gptqLoss }),
  };
}
