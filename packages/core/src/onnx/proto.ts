/**
 * The ONNX protobuf schema (onnx-proto 8.0.1: protobufjs 6 static code of onnx v1.10.2, IR 8).
 * The schema predates INT4/UINT4 (data types 22/21) but numeric enum values encode and decode fine.
 */
// biome-ignore-all assist/source/organizeImports: protobuf-long must evaluate before onnx-proto (see that file).
import { protobufLongReady } from './protobuf-long';
import onnxProto from 'onnx-proto';

export const onnx = protobufLongReady ? onnxProto.onnx : onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type TypeProto = onnxProto.onnx.ITypeProto;

/** `TensorProto.DataLocation.EXTERNAL`. */
export const DATA_LOCATION_EXTERNAL = 1;

/** Converts a protobufjs int64 field value (number or Long) to a number, throwing past 2^53. */
export function int64ToNumber(
  value: number | { toNumber(): number; toString(): string } | null | undefined,
): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  const number = value.toNumber();
  if (!Number.isSafeInteger(number)) throw new RangeError(`int64 value ${value.toString()} exceeds 2^53`);
  return number;
}

/** Converts a protobufjs int64 field value (number or Long) to a bigint, exactly. */
export function int64ToBigInt(value: number | { toString(): string } | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  return BigInt(typeof value === 'number' ? value : value.toString());
}
