import { XError } from '../errors';

/**
 * 4-bit packing as ONNX (INT4/UINT4, onnx 1.16) and onnxruntime store it: two elements per byte,
 * element 2i in the low nibble and 2i+1 in the high nibble; an odd count leaves the last high nibble 0.
 */
export function packInt4(values: ArrayLike<number>, dtype: 'int4' | 'uint4' = 'int4'): Uint8Array {
  const [low, high] = dtype === 'int4' ? [-8, 7] : [0, 15];
  const packed = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new XError(
        'X_INVALID_ARGUMENT',
        `packInt4: values[${i}] is ${value}, outside the ${dtype} range [${low}, ${high}]`,
        { details: { argument: 'values', index: i, dtype } },
      );
    }
    const nibble = value & 0x0f;
    packed[i >> 1] |= (i & 1) === 0 ? nibble : nibble << 4;
  }
  return packed;
}

/** Inverse of `packInt4`: `size` elements, Int8Array for int4 (sign-extended), Uint8Array for uint4. */
export function unpackInt4(
  packed: Uint8Array,
  size: number,
  dtype: 'int4' | 'uint4' = 'int4',
): Int8Array | Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0 || Math.ceil(size / 2) !== packed.length) {
    throw new XError(
      'X_SHAPE_MISMATCH',
      `unpackInt4: packed has ${packed.length} bytes, but ${size} elements need ${Math.ceil(size / 2)}`,
      { details: { argument: 'packed', size, length: packed.length } },
    );
  }
  const out = dtype === 'int4' ? new Int8Array(size) : new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const nibble = (i & 1) === 0 ? packed[i >> 1] & 0x0f : packed[i >> 1] >> 4;
    out[i] = dtype === 'int4' && nibble > 7 ? nibble - 16 : nibble;
  }
  return out;
}
