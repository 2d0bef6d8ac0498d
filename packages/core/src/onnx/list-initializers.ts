import { dataTypeName } from './data-type';
import { isExternal, readExternalDataInfo } from './external-data-info';
import type { OnnxModel } from './model';
import { int64ToNumber } from './proto';
import { tensorProtoByteLength } from './tensor-proto';

/** One initializer as `listInitializers` describes it. */
export interface InitializerInfo {
  name: string;
  /** The @x dtype name, or the ONNX type name for types @x tensors do not model (`float64`, `bfloat16`). */
  dtype: string;
  dims: number[];
  /** Bytes of data (undefined for string tensors). */
  byteLength: number | undefined;
  /** `inline` (inside the protobuf) or the external file and byte range. */
  location:
    | { kind: 'inline' }
    | { kind: 'external'; file: string; offset: number; length: number | undefined };
}

export function listInitializers(model: OnnxModel): InitializerInfo[] {
  return (model.proto.graph?.initializer ?? []).map((tensor) => {
    const location: InitializerInfo['location'] = isExternal(tensor)
      ? (() => {
          const info = readExternalDataInfo(tensor);
          return { kind: 'external', file: info.location, offset: info.offset, length: info.length };
        })()
      : { kind: 'inline' };
    return {
      name: tensor.name ?? '',
      dtype: dataTypeName(tensor.dataType ?? 0),
      dims: (tensor.dims ?? []).map((dim) => int64ToNumber(dim)),
      byteLength: tensorProtoByteLength(tensor),
      location,
    };
  });
}
