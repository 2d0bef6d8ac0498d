import type { Dtype } from '../tensor/dtype';

/** ONNX `TensorProto.DataType` numbers (onnx.proto) and their names. */
const names: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
};

/** Bits per element for each fixed-size ONNX data type (string has none). */
const bits: Record<number, number> = {
  1: 32,
  2: 8,
  3: 8,
  4: 16,
  5: 16,
  6: 32,
  7: 64,
  9: 8,
  10: 16,
  11: 64,
  12: 32,
  13: 64,
  14: 64,
  15: 128,
  16: 16,
  17: 8,
  18: 8,
  19: 8,
  20: 8,
  21: 4,
  22: 4,
};

const dtypeNumbers: Record<Dtype, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  uint32: 12,
  uint4: 21,
  int4: 22,
};

/** ONNX data type number of an @x dtype. */
export function dtypeToDataType(dtype: Dtype): number {
  return dtypeNumbers[dtype];
}

/** The @x dtype of an ONNX data type number, or undefined when @x tensors do not model it (float64, string, ...). */
export function dataTypeToDtype(dataType: number): Dtype | undefined {
  const name = names[dataType];
  return name !== undefined && Object.hasOwn(dtypeNumbers, name) ? (name as Dtype) : undefined;
}

/** Readable name of an ONNX data type number (`float32`, `bfloat16`, ... or `data_type 99`). */
export function dataTypeName(dataType: number): string {
  return names[dataType] ?? `data_type ${dataType}`;
}

/** Bytes a tensor of this data type and element count takes as raw data; undefined for string/unknown types. */
export function dataTypeByteLength(dataType: number, size: number): number | undefined {
  const elementBits = bits[dataType];
  return elementBits === undefined ? undefined : Math.ceil((size * elementBits) / 8);
}
