import { XError } from '../errors';
import { dataLength, isDataOfDtype, isDtype, isPackedDtype } from './dtype';
import type { OrtTensorLike, Tensor } from './tensor';
import { tensorSize } from './tensor-size';

/**
 * The part of an onnxruntime module (`onnxruntime-node` or `onnxruntime-web`) that `toOrt` needs:
 * its `Tensor` constructor and, to tell the runtimes apart, `env.versions`.
 */
export interface OrtTensorModule {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensorLike;
  env?: { versions?: { node?: string; web?: string } };
}

/** True when the module is onnxruntime-node (its `env.versions` names `node`). */
export function isOrtNode(ort: OrtTensorModule): boolean {
  return typeof ort.env?.versions?.node === 'string';
}

/**
 * Wraps a tensor in the given runtime's `Tensor` without copying its data.
 * Checks the tensor structurally first, naming `argument` in the error:
 * `X_DTYPE_MISMATCH` for an unknown dtype, the wrong typed array, or int4/uint4 on onnxruntime-node
 * (1.30 rejects 4-bit feeds: keep them inside initializers or use the web backend);
 * `X_SHAPE_MISMATCH` for invalid dims or a data length that does not match them.
 */
export function toOrt(ort: OrtTensorModule, tensor: Tensor, argument = 'tensor'): OrtTensorLike {
  assertTensor(tensor, argument);
  if (isPackedDtype(tensor.dtype) && isOrtNode(ort)) {
    throw new XError(
      'X_DTYPE_MISMATCH',
      `${argument} is ${tensor.dtype}: onnxruntime-node 1.30 does not accept 4-bit tensors as inputs; use the 'web' backend or keep 4-bit data in initializers (e.g. MatMulNBits uint8 blobs)`,
      { details: { argument, dtype: tensor.dtype, backend: 'node' } },
    );
  }
  return new ort.Tensor(tensor.dtype, tensor.data, [...tensor.dims]);
}

/** Throws the typed error `toOrt` would for a malformed tensor. */
export function assertTensor(tensor: Tensor, argument = 'tensor'): void {
  if (typeof tensor !== 'object' || tensor === null) {
    throw new XError('X_DTYPE_MISMATCH', `${argument} is not a tensor`, { details: { argument } });
  }
  if (!isDtype(tensor.dtype)) {
    throw new XError(
      'X_DTYPE_MISMATCH',
      `${argument} has unsupported dtype ${JSON.stringify(tensor.dtype)}`,
      {
        details: { argument, dtype: tensor.dtype },
      },
    );
  }
  if (!isDataOfDtype(tensor.dtype, tensor.data)) {
    const got = Object.prototype.toString.call(tensor.data).slice(8, -1);
    throw new XError('X_DTYPE_MISMATCH', `${argument} is ${tensor.dtype} but its data is a ${got}`, {
      details: { argument, dtype: tensor.dtype, got },
    });
  }
  const size = tensorSize(tensor.dims, `${argument}.dims`);
  const expected = dataLength(tensor.dtype, size);
  if (tensor.data.length !== expected) {
    throw new XError(
      'X_SHAPE_MISMATCH',
      `${argument} has dims [${tensor.dims.join(', ')}] (${expected} ${tensor.dtype} data elements) but ${tensor.data.length} data elements`,
      { details: { argument, dims: [...tensor.dims], expected, got: tensor.data.length } },
    );
  }
}
