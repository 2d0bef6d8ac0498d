import type { Dtype } from '../../tensor/dtype';
import { dtypeToDataType } from '../data-type';
import { type GraphProto, int64ToNumber, onnx, type ValueInfoProto } from '../proto';

/** A tensor type to declare on a graph input or output. Symbolic dims are strings. */
export interface ValueType {
  dtype: Dtype;
  /** Dims; leave out for an unknown rank. */
  dims?: readonly (number | string)[];
}

/** A ValueInfoProto for a name and (optionally) a type. */
export function createValueInfo(name: string, type?: ValueType): ValueInfoProto {
  if (!type) return onnx.ValueInfoProto.create({ name });
  const tensorType: { elemType: number; shape?: { dim: { dimValue?: number; dimParam?: string }[] } } = {
    elemType: dtypeToDataType(type.dtype),
  };
  if (type.dims) {
    tensorType.shape = {
      dim: type.dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })),
    };
  }
  return onnx.ValueInfoProto.create({ name, type: { tensorType } });
}

/**
 * The best known type of a value: a typed entry of value_info, graph inputs or outputs, or the dtype and
 * dims of an initializer. Returns a fresh ValueInfoProto, or undefined when nothing declares a type.
 */
export function findValueInfo(graph: GraphProto, name: string): ValueInfoProto | undefined {
  for (const list of [graph.valueInfo, graph.input, graph.output]) {
    const found = (list ?? []).find((value) => value.name === name && value.type);
    if (found)
      return onnx.ValueInfoProto.fromObject(onnx.ValueInfoProto.toObject(onnx.ValueInfoProto.create(found)));
  }
  const initializer = (graph.initializer ?? []).find((tensor) => tensor.name === name);
  if (initializer) {
    return onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: initializer.dataType ?? 0,
          shape: { dim: (initializer.dims ?? []).map((dim) => ({ dimValue: int64ToNumber(dim) })) },
        },
      },
    });
  }
  return undefined;
}
