import { XError } from '../errors';
import { bytesPerDataElement, dataLength, viewData } from '../tensor/dtype';
import type { Tensor } from '../tensor/tensor';
import { assertTensor } from '../tensor/to-ort';
import { dataTypeByteLength, dataTypeName, dataTypeToDtype, dtypeToDataType } from './data-type';
import { isExternal, readExternalDataInfo } from './external-data-info';
import type { ExternalDataSource } from './external-data-source';
import { int64ToBigInt, int64ToNumber, onnx, type TensorProto } from './proto';

/** Element count of a TensorProto from its dims. */
export function tensorProtoSize(tensor: TensorProto): number {
  let size = 1;
  for (const dim of tensor.dims ?? []) size *= int64ToNumber(dim);
  return size;
}

/** Byte length of a TensorProto's data (computed from dims and type; external length when given). */
export function tensorProtoByteLength(tensor: TensorProto): number | undefined {
  if (isExternal(tensor)) {
    const info = readExternalDataInfo(tensor);
    if (info.length !== undefined) return info.length;
  }
  return dataTypeByteLength(tensor.dataType ?? 0, tensorProtoSize(tensor));
}

/**
 * The raw little-endian bytes of a tensor, whatever its storage: `raw_data` (returned as a view, no copy),
 * the typed `*_data` fields (converted), or external data (read from `source`, one range, lazily).
 * Throws `X_MODEL_CORRUPT` / `X_EXTERNAL_DATA` naming the tensor when the stored size is wrong.
 */
export function readTensorBytes(tensor: TensorProto, source: ExternalDataSource | undefined): Uint8Array {
  const name = tensor.name ?? '';
  const dataType = tensor.dataType ?? 0;
  const size = tensorProtoSize(tensor);
  const expected = dataTypeByteLength(dataType, size);
  if (expected === undefined) {
    throw new XError(
      'X_DTYPE_MISMATCH',
      `initializer ${name} has type ${dataTypeName(dataType)}, which has no raw byte form`,
      {
        details: { tensor: name, dataType },
      },
    );
  }
  if (isExternal(tensor)) {
    const info = readExternalDataInfo(tensor);
    const length = info.length ?? expected;
    if (length !== expected) {
      throw new XError(
        'X_EXTERNAL_DATA',
        `initializer ${name}: external data length ${length} does not match its ${dataTypeName(dataType)} dims (${expected} bytes) in ${info.location}`,
        { details: { tensor: name, location: info.location, length, expected } },
      );
    }
    if (!source) {
      throw new XError(
        'X_EXTERNAL_DATA',
        `initializer ${name} is stored in ${info.location}, but no external data source is attached`,
        {
          details: { tensor: name, location: info.location },
        },
      );
    }
    return source.read(info.location, info.offset, length, name);
  }
  const raw = tensor.rawData;
  if (raw && raw.byteLength > 0) {
    if (raw.byteLength !== expected) {
      throw new XError(
        'X_MODEL_CORRUPT',
        `initializer ${name}: raw_data has ${raw.byteLength} bytes, its ${dataTypeName(dataType)} dims need ${expected}`,
        { details: { tensor: name, got: raw.byteLength, expected } },
      );
    }
    return raw;
  }
  return typedFieldBytes(tensor, dataType, size, expected, name);
}

/** Converts the typed `*_data` fields (the non-raw storage) into raw bytes. */
function typedFieldBytes(
  tensor: TensorProto,
  dataType: number,
  size: number,
  expected: number,
  name: string,
): Uint8Array {
  const out = new Uint8Array(expected);
  const view = new DataView(out.buffer);
  const fail = (field: string, got: number, want: number) =>
    new XError('X_MODEL_CORRUPT', `initializer ${name}: ${field} has ${got} values, its dims need ${want}`, {
      details: { tensor: name, field, got, expected: want },
    });
  if (size === 0) return out;
  switch (dataType) {
    case 1: {
      const values = tensor.floatData ?? [];
      if (values.length !== size) throw fail('float_data', values.length, size);
      for (let i = 0; i < size; i++) view.setFloat32(i * 4, values[i], true);
      return out;
    }
    case 11: {
      const values = tensor.doubleData ?? [];
      if (values.length !== size) throw fail('double_data', values.length, size);
      for (let i = 0; i < size; i++) view.setFloat64(i * 8, values[i], true);
      return out;
    }
    case 7: {
      const values = tensor.int64Data ?? [];
      if (values.length !== size) throw fail('int64_data', values.length, size);
      for (let i = 0; i < size; i++) view.setBigInt64(i * 8, int64ToBigInt(values[i]), true);
      return out;
    }
    case 12:
    case 13: {
      const values = tensor.uint64Data ?? [];
      if (values.length !== size) throw fail('uint64_data', values.length, size);
      values.forEach((value, i) => {
        const big = BigInt.asUintN(64, int64ToBigInt(value));
        if (dataType === 12) view.setUint32(i * 4, Number(big), true);
        else view.setBigUint64(i * 8, big, true);
      });
      return out;
    }
    default: {
      // int32_data holds int32, (u)int8, (u)int16, bool, float16/bfloat16 bits, float8 and packed 4-bit pairs.
      const values = tensor.int32Data ?? [];
      const elementBytes = expected / size;
      const count = dataType === 21 || dataType === 22 ? expected : size;
      if (values.length !== count) throw fail('int32_data', values.length, count);
      values.forEach((value, i) => {
        if (dataType === 21 || dataType === 22 || elementBytes === 1) out[i] = value & 0xff;
        else if (elementBytes === 2) view.setUint16(i * 2, value & 0xffff, true);
        else view.setInt32(i * 4, value, true);
      });
      return out;
    }
  }
}

/**
 * An @x tensor for a TensorProto. Inline raw data is viewed without copying when its byte offset suits the
 * element size (so writes to the tensor write into the model); otherwise the bytes are copied.
 */
export function tensorProtoToTensor(tensor: TensorProto, source: ExternalDataSource | undefined): Tensor {
  const name = tensor.name ?? '';
  const dtype = dataTypeToDtype(tensor.dataType ?? 0);
  if (!dtype) {
    throw new XError(
      'X_DTYPE_MISMATCH',
      `initializer ${name} has type ${dataTypeName(tensor.dataType ?? 0)}, which @x tensors do not support`,
      { details: { tensor: name, dataType: tensor.dataType } },
    );
  }
  const dims = (tensor.dims ?? []).map((dim) => int64ToNumber(dim));
  const length = dataLength(dtype, tensorProtoSize(tensor));
  let bytes = readTensorBytes(tensor, source);
  // A copy (Node Buffer's slice() would be another view).
  if (bytes.byteOffset % bytesPerDataElement(dtype) !== 0) bytes = new Uint8Array(bytes);
  return { dtype, dims: Object.freeze(dims), data: viewData(dtype, bytes.buffer, bytes.byteOffset, length) };
}

/** A TensorProto holding a tensor as `raw_data`, viewing its bytes (no copy). */
export function tensorToTensorProto(name: string, tensor: Tensor): TensorProto {
  assertTensor(tensor, `initializer ${name}`);
  const data = tensor.data;
  return onnx.TensorProto.create({
    name,
    dims: [...tensor.dims],
    dataType: dtypeToDataType(tensor.dtype),
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}
