import { XError } from '../errors';
import { allocateData, type Dtype, isPackedDtype, type TensorDataMap } from './dtype';
import { packInt4, unpackInt4 } from './int4';
import type { Tensor } from './tensor';
import { tensorSize } from './tensor-size';

/**
 * Copies elements `[start, end)` along `axis` (negative axis counts from the end) into a new tensor.
 * Typical use: roll a KV cache back by slicing `present.*` along the sequence axis.
 */
export function sliceAxis<D extends Dtype>(
  tensor: Tensor<D>,
  axis: number,
  start: number,
  end: number,
): Tensor<D> {
  const rank = tensor.dims.length;
  const resolvedAxis = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || resolvedAxis < 0 || resolvedAxis >= rank) {
    throw new XError('X_INVALID_ARGUMENT', `sliceAxis: axis ${axis} is out of range for rank ${rank}`, {
      details: { argument: 'axis', axis, rank },
    });
  }
  const extent = tensor.dims[resolvedAxis];
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > extent || start > end) {
    throw new XError(
      'X_INVALID_ARGUMENT',
      `sliceAxis: range [${start}, ${end}) is not inside [0, ${extent}] on axis ${axis}`,
      { details: { argument: 'start/end', start, end, extent } },
    );
  }
  const outer = tensorSize(tensor.dims.slice(0, resolvedAxis));
  const inner = tensorSize(tensor.dims.slice(resolvedAxis + 1));
  const dims = tensor.dims.map((dim, i) => (i === resolvedAxis ? end - start : dim));
  const count = end - start;
  if (isPackedDtype(tensor.dtype)) {
    const packedDtype = tensor.dtype as 'int4' | 'uint4';
    const values = unpackInt4(tensor.data as Uint8Array, tensorSize(tensor.dims), packedDtype);
    const sliced = copyBlocks(
      values,
      new (values.constructor as Int8ArrayConstructor)(outer * count * inner),
    );
    return {
      dtype: tensor.dtype,
      dims: Object.freeze(dims),
      data: packInt4(sliced, packedDtype) as TensorDataMap[D],
    };
  }
  const out = allocateData(tensor.dtype, outer * count * inner);
  copyBlocks(tensor.data as Float32Array, out as Float32Array);
  return { dtype: tensor.dtype, dims: Object.freeze(dims), data: out };

  function copyBlocks<A extends { subarray(a: number, b: number): A; set(source: A, offset: number): void }>(
    source: A,
    target: A,
  ): A {
    const block = count * inner;
    const stride = extent * inner;
    for (let o = 0; o < outer; o++) {
      const from = o * stride + start * inner;
      target.set(source.subarray(from, from + block), o * block);
    }
    return target;
  }
}
