import { XError } from '../../errors';
import type { Tensor } from '../../tensor/tensor';
import { type AttributeProto, onnx } from '../proto';
import { tensorToTensorProto } from '../tensor-proto';

/**
 * An attribute value for `insertNode`. Plain numbers become INT when integral and FLOAT otherwise; use
 * `{ float }` / `{ floats }` / `{ int }` / `{ ints }` to force the type (e.g. `epsilon: { float: 1 }`).
 */
export type AttributeValue =
  | number
  | bigint
  | string
  | readonly number[]
  | readonly string[]
  | Tensor
  | { float: number }
  | { floats: readonly number[] }
  | { int: number | bigint }
  | { ints: readonly (number | bigint)[] };

const FLOAT = 1;
const INT = 2;
const STRING = 3;
const TENSOR = 4;
const FLOATS = 6;
const INTS = 7;
const STRINGS = 8;

const encoder = new TextEncoder();

/** Encodes one attribute as an AttributeProto (onnx.proto AttributeProto.AttributeType numbering). */
export function createAttribute(name: string, value: AttributeValue): AttributeProto {
  const make = (fields: Record<string, unknown>) => onnx.AttributeProto.create({ name, ...fields });
  if (typeof value === 'number') {
    return Number.isInteger(value) ? make({ type: INT, i: value }) : make({ type: FLOAT, f: value });
  }
  if (typeof value === 'bigint') return make({ type: INT, i: Number(value) });
  if (typeof value === 'string') return make({ type: STRING, s: encoder.encode(value) });
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === 'string')) {
      return make({
        type: value.length === 0 ? INTS : STRINGS,
        strings: value.map((item) => encoder.encode(item)),
      });
    }
    if (value.every((item) => typeof item === 'number')) {
      return value.every((item) => Number.isInteger(item))
        ? make({ type: INTS, ints: [...value] })
        : make({ type: FLOATS, floats: [...value] });
    }
  } else if (typeof value === 'object' && value !== null) {
    if ('dtype' in value && 'data' in value)
      return make({ type: TENSOR, t: tensorToTensorProto(name, value) });
    if ('float' in value) return make({ type: FLOAT, f: value.float });
    if ('floats' in value) return make({ type: FLOATS, floats: [...value.floats] });
    if ('int' in value) return make({ type: INT, i: Number(value.int) });
    if ('ints' in value) return make({ type: INTS, ints: value.ints.map((item) => Number(item)) });
  }
  throw new XError('X_INVALID_ARGUMENT', `attribute ${name}: unsupported value ${String(value)}`, {
    details: { argument: `attributes.${name}` },
  });
}
