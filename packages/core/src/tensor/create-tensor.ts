import { XError } from '../errors';
import {
  allocateData,
  type Dtype,
  dataLength,
  describeData,
  isDataOfDtype,
  isDtype,
  type TensorDataMap,
} from './dtype';
import { float32ToFloat16 } from './float16';
import { packInt4 } from './int4';
import type { Tensor } from './tensor';
import { tensorSize } from './tensor-size';

/** Plain values accepted by `createTensor` besides the dtype's own typed array. */
export type TensorValues<D extends Dtype> = D extends 'int64' ? readonly bigint[] : readonly number[];

/**
 * Creates a tensor, validating dims and data. With no data the tensor is zero-filled.
 * `data` is either the dtype's typed array, used as is with no copy (float16 as raw half bits, int4/uint4
 * as packed bytes), or a plain array of element values, copied (float16 values are rounded to halves,
 * int4/uint4 values are packed, int64 values are bigints).
 *
 * Errors: `X_DTYPE_MISMATCH` (unknown dtype, wrong typed array), `X_SHAPE_MISMATCH` (bad dims, wrong length).
 */
export function createTensor<D extends Dtype>(
  dtype: D,
  dims: readonly number[],
  data?: TensorDataMap[D] | TensorValues<D>,
): Tensor<D> {
  if (!isDtype(dtype)) {
    throw new XError('X_DTYPE_MISMATCH', `createTensor: dtype ${JSON.stringify(dtype)} is not supported`, {
      details: { argument: 'dtype', dtype },
    });
  }
  const size = tensorSize(dims, 'dims');
  const length = dataLength(dtype, size);
  let typed: TensorDataMap[D];
  if (data === undefined) {
    typed = allocateData(dtype, length);
  } else if (Array.isArray(data)) {
    typed = fromValues(dtype, data as readonly (number | bigint)[], size);
  } else {
    if (!isDataOfDtype(dtype, data)) {
      throw new XError(
        'X_DTYPE_MISMATCH',
        `createTensor: data is a ${describeData(data)}, but dtype ${dtype} needs a ${expectedArray(dtype)}`,
        { details: { argument: 'data', dtype, got: describeData(data) } },
      );
    }
    typed = data as TensorDataMap[D];
  }
  if (typed.length !== length) {
    throw new XError(
      'X_SHAPE_MISMATCH',
      `createTensor: data has ${typed.length} elements, but dims [${dims.join(', ')}] of ${dtype} need ${length}`,
      { details: { argument: 'data', dims: [...dims], expected: length, got: typed.length } },
    );
  }
  return { dtype, dims: Object.freeze([...dims]), data: typed };
}

function fromValues<D extends Dtype>(
  dtype: D,
  values: readonly (number | bigint)[],
  size: number,
): TensorDataMap[D] {
  if (values.length !== size) {
    throw new XError(
      'X_SHAPE_MISMATCH',
      `createTensor: data has ${values.length} values, but dims need ${size}`,
      {
        details: { argument: 'data', expected: size, got: values.length },
      },
    );
  }
  if (dtype === 'int4' || dtype === 'uint4') return packInt4(values as number[], dtype) as TensorDataMap[D];
  if (dtype === 'float16' && values.every((value) => typeof value === 'number')) {
    return float32ToFloat16(values as number[]) as TensorDataMap[D];
  }
  const typed = allocateData(dtype, size);
  for (let i = 0; i < size; i++) {
    const value = values[i];
    if (dtype === 'int64' ? typeof value !== 'bigint' : typeof value !== 'number') {
      throw new XError(
        'X_DTYPE_MISMATCH',
        `createTensor: data[${i}] is a ${typeof value}, dtype ${dtype} needs ${dtype === 'int64' ? 'bigint' : 'number'} values`,
        { details: { argument: 'data', index: i } },
      );
    }
    (typed as unknown as (number | bigint)[])[i] = value;
  }
  return typed;
}

function expectedArray(dtype: Dtype): string {
  return describeData(allocateData(dtype, 0));
}
