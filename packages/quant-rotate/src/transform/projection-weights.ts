/**
 * Reading and writing a projection's float32 weight through core's decoder anatomy. The stored layout
 * is kept: `[in, out]` for a MatMul initializer (`transposed`), `[out, in]` when read through a Transpose
 * or by Gemm(transB=1). Numeric cores take the matching `layout` option, so nothing is transposed twice.
 */
import { createTensor, type OnnxModel, type ProjectionAnatomy } from '@x/core';
import { QuantError } from '../errors';
import type { Matrix, WeightLayout } from '../types';

export interface ProjectionWeight {
  matrix: Matrix<Float32Array>;
  layout: WeightLayout;
}

export function layoutOf(projection: ProjectionAnatomy): WeightLayout {
  return projection.transposed ? 'in-out' : 'out-in';
}

/** The float32 weight of a MatMul/Gemm projection. Throws `QUANT_UNSUPPORTED_MODEL` otherwise. */
export function readProjectionWeight(
  model: OnnxModel,
  projection: ProjectionAnatomy,
  options: {
    /** `false`: the stored bytes themselves where aligned (read-only use: writing would edit the model). */
    copy?: boolean;
  } = {},
): ProjectionWeight {
  if (projection.opType === 'MatMulNBits') {
    throw new QuantError('QUANT_UNSUPPORTED_MODEL', `${projection.node} is already quantized (MatMulNBits)`, {
      details: { node: projection.node },
    });
  }
  const tensor = model.getInitializer(projection.weight);
  if (tensor.dtype !== 'float32' || tensor.dims.length !== 2) {
    throw new QuantError(
      'QUANT_UNSUPPORTED_MODEL',
      `weight ${projection.weight} of ${projection.node} is ${tensor.dtype} [${tensor.dims.join(', ')}]; only 2-D float32 weights are supported`,
      { details: { node: projection.node, initializer: projection.weight, dtype: tensor.dtype } },
    );
  }
  const data =
    options.copy === false ? (tensor.data as Float32Array) : Float32Array.from(tensor.data as Float32Array);
  return { matrix: { rows: tensor.dims[0], cols: tensor.dims[1], data }, layout: layoutOf(projection) };
}

/** Replaces the projection's weight initializer with `matrix` (same layout and dims as read). */
export function writeProjectionWeight(model: OnnxModel, projection: ProjectionAnatomy, matrix: Matrix): void {
  model.setInitializer(
    projection.weight,
    createTensor('float32', [matrix.rows, matrix.cols], Float32Array.from(matrix.data)),
  );
}

/** Reads a 1-D float32 initializer (norm weight, bias). */
export function readVector(model: OnnxModel, name: string): Float32Array {
  const tensor = model.getInitializer(name);
  if (tensor.dtype !== 'float32') {
    throw new QuantError(
      'QUANT_UNSUPPORTED_MODEL',
      `initializer ${name} is ${tensor.dtype}, expected float32`,
      {
        details: { initializer: name, dtype: tensor.dtype },
      },
    );
  }
  return Float32Array.from(tensor.data as Float32Array);
}

export function writeVector(model: OnnxModel, name: string, values: ArrayLike<number>): void {
  const tensor = model.getInitializer(name);
  model.setInitializer(name, createTensor('float32', tensor.dims, Float32Array.from(values)));
}

/**
 * Edits a float32 initializer through `edit(data)`: on its own bytes when `inPlace` (no copy where the stored
 * bytes are aligned; the model must not share them with another model, e.g. a clone's source), else on a copy
 * that then replaces it.
 */
export function editFloatInitializer(
  model: OnnxModel,
  name: string,
  inPlace: boolean,
  edit: (data: Float32Array) => void,
): void {
  const tensor = model.getInitializer(name);
  if (tensor.dtype !== 'float32') {
    throw new QuantError(
      'QUANT_UNSUPPORTED_MODEL',
      `initializer ${name} is ${tensor.dtype}, expected float32`,
      { details: { initializer: name, dtype: tensor.dtype } },
    );
  }
  const source = tensor.data as Float32Array;
  const data = inPlace ? source : Float32Array.from(source);
  edit(data);
  // A no-op re-reference when `data` viewed the stored bytes; needed when it was a copy.
  model.setInitializer(name, { dtype: 'float32', dims: tensor.dims, data });
}
