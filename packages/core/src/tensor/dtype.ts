/**
 * Element types of @x tensors and the typed array that stores each one.
 * Layouts follow onnxruntime-common (`tensor-impl-type-mapping.ts`): float16 is raw IEEE half bits in a
 * Uint16Array, bool is one byte per element, int4/uint4 are packed two per byte, low nibble first.
 */
export type Dtype =
  | 'float32'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'bool'
  | 'int4'
  | 'uint4';

/** The typed array behind each dtype. */
export interface TensorDataMap {
  float32: Float32Array;
  float16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint32: Uint32Array;
  bool: Uint8Array;
  int4: Uint8Array;
  uint4: Uint8Array;
}

/** Every supported dtype, in a stable order. */
export const DTYPES: readonly Dtype[] = Object.freeze([
  'float32',
  'float16',
  'int8',
  'uint8',
  'int16',
  'int32',
  'int64',
  'uint32',
  'bool',
  'int4',
  'uint4',
]);

const arrayTags: Record<Dtype, string> = {
  float32: '[object Float32Array]',
  float16: '[object Uint16Array]',
  int8: '[object Int8Array]',
  uint8: '[object Uint8Array]',
  int16: '[object Int16Array]',
  int32: '[object Int32Array]',
  int64: '[object BigInt64Array]',
  uint32: '[object Uint32Array]',
  bool: '[object Uint8Array]',
  int4: '[object Uint8Array]',
  uint4: '[object Uint8Array]',
};

const bytesPerElement: Record<Dtype, number> = {
  float32: 4,
  float16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint32: 4,
  bool: 1,
  int4: 1,
  uint4: 1,
};

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.hasOwn(arrayTags, value);
}

/** True for the packed 4-bit dtypes. */
export function isPackedDtype(dtype: Dtype): dtype is 'int4' | 'uint4' {
  return dtype === 'int4' || dtype === 'uint4';
}

/** Number of typed-array elements holding `size` tensor elements (ceil(size/2) for int4/uint4). */
export function dataLength(dtype: Dtype, size: number): number {
  return isPackedDtype(dtype) ? Math.ceil(size / 2) : size;
}

/** Bytes of one typed-array element of this dtype (1 for the packed 4-bit types: one byte holds two). */
export function bytesPerDataElement(dtype: Dtype): number {
  return bytesPerElement[dtype];
}

/** Bytes needed to store `size` tensor elements. */
export function dtypeByteLength(dtype: Dtype, size: number): number {
  return dataLength(dtype, size) * bytesPerElement[dtype];
}

/** Structural (realm-safe) check that `data` is the typed array `dtype` needs. */
export function isDataOfDtype(dtype: Dtype, data: unknown): boolean {
  return Object.prototype.toString.call(data) === arrayTags[dtype];
}

/** The `Object.prototype.toString` tag of a value, e.g. `Float32Array`, for messages. */
export function describeData(data: unknown): string {
  const tag = Object.prototype.toString.call(data);
  return tag.slice(8, -1);
}

/** A zero-filled typed array holding `length` data elements of `dtype`. */
export function allocateData<D extends Dtype>(dtype: D, length: number): TensorDataMap[D] {
  return viewData(dtype, new ArrayBuffer(length * bytesPerElement[dtype]), 0, length);
}

/** A typed-array view of `length` data elements of `dtype` over `buffer` at `byteOffset` (no copy). */
export function viewData<D extends Dtype>(
  dtype: D,
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
): TensorDataMap[D] {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, length) as TensorDataMap[D];
    case 'float16':
      return new Uint16Array(buffer, byteOffset, length) as TensorDataMap[D];
    case 'int8':
      return new Int8Array(buffer, byteOffset, length) as TensorDataMap[D];
    case 'int16':
      return new Int16Array(buffer, byteOffset, length) as TensorDataMap[D];
    case 'int32':
      return new Int32Array(buffer, byteOffset, length) as TensorDataMap[D];
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, length) as TensorDataMap[D];
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, length) as TensorDataMap[D];
    default:
      return new Uint8Array(buffer, byteOffset, length) as TensorDataMap[D];
  }
}
