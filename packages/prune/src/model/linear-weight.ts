import {
  float16ToFloat32,
  float32ToFloat16,
  type OnnxModel,
  type ProjectionAnatomy,
  type Tensor,
} from '@x/core';
import { PruneError } from '../errors';
import type { WeightMatrix } from '../types';

/** A projection's weight in the cores' `[out, in]` layout, with how it is stored in the model. */
export interface LinearWeight {
  readonly weight: WeightMatrix;
  readonly dtype: 'float32' | 'float16';
  /** True when the initializer is `[in, out]` (MatMul's right operand). */
  readonly transposed: boolean;
}

function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(data.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) result[c * rows + r] = data[r * columns + c];
  return result;
}

/**
 * Reads a projection's weight initializer as a `[out, in]` float32 matrix. MatMul weights stored `[in, out]` are
 * transposed (brief §0). Throws PRUNE_UNSUPPORTED_MODEL for quantized (MatMulNBits) or non-float weights:
 * prune before quantizing.
 */
export function readLinearWeight(model: OnnxModel, projection: ProjectionAnatomy): LinearWeight {
  if (projection.opType === 'MatMulNBits' || projection.quantization) {
    throw new PruneError(
      'PRUNE_UNSUPPORTED_MODEL',
      `projection ${projection.node} is quantized (MatMulNBits): prune the float model, then quantize`,
      { details: { node: projection.node, initializer: projection.weight } },
    );
  }
  const tensor = model.getInitializer(projection.weight);
  const { inFeatures: columns, outFeatures: rows } = projection;
  if (tensor.dims.length !== 2 || tensor.dims[0] * tensor.dims[1] !== rows * columns) {
    throw new PruneError(
      'PRUNE_SHAPE_MISMATCH',
      `initializer ${projection.weight} of ${projection.node} has dims [${tensor.dims}], expected ${rows}x${columns}`,
      { details: { node: projection.node, initializer: projection.weight, dims: tensor.dims } },
    );
  }
  let values: Float32Array;
  if (tensor.dtype === 'float32') values = Float32Array.from(tensor.data as Float32Array);
  else if (tensor.dtype === 'float16') values = float16ToFloat32(tensor.data as Uint16Array);
  else {
    throw new PruneError(
      'PRUNE_UNSUPPORTED_MODEL',
      `initializer ${projection.weight} of ${projection.node} is ${tensor.dtype}; only float32/float16 weights can be pruned`,
      { details: { node: projection.node, initializer: projection.weight, dtype: tensor.dtype } },
    );
  }
  const data = projection.transposed ? transpose(values, columns, rows) : values;
  return { weight: { data, rows, columns }, dtype: tensor.dtype, transposed: projection.transposed };
}

/** The initializer tensor for a pruned weight, in the stored layout and dtype of `original`. */
export function toInitializerTensor(
  original: LinearWeight,
  weight: WeightMatrix,
  dims: readonly number[],
): Tensor {
  const stored = original.transposed ? transpose(weight.data, weight.rows, weight.columns) : weight.data;
  return original.dtype === 'float16'
    ? { dtype: 'float16', dims, data: float32ToFloat16(stored) }
    : { dtype: 'float32', dims, data: stored };
}
