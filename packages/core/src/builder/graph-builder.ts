import type { onnx } from 'onnx-proto';
// The runtime schema through core's onnx module, which repairs protobufjs' Long before onnx-proto loads.
import { onnx as proto } from '../onnx/proto';

const DataType = proto.TensorProto.DataType;
const AttributeType = proto.AttributeProto.AttributeType;

/** ONNX element types the builders use. */
export const ElementType = {
  float: DataType.FLOAT,
  int32: DataType.INT32,
  int64: DataType.INT64,
  bool: DataType.BOOL,
} as const;

export type AttributeValue =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { string: string }
  | { tensor: onnx.ITensorProto };

export interface NodeOptions {
  /** Node name; a unique default is derived from the op type. */
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/** A float32 tensor proto with raw (little-endian) data. */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): onnx.ITensorProto {
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: bytesOf(data) };
}

/** An int64 tensor proto with raw data. */
export function int64Tensor(
  name: string,
  dims: readonly number[],
  values: readonly number[],
): onnx.ITensorProto {
  return {
    name,
    dims: [...dims],
    dataType: DataType.INT64,
    rawData: bytesOf(BigInt64Array.from(values, (v) => BigInt(v))),
  };
}

/** A graph input/output declaration; string dims become named dynamic dims. */
export function valueInfo(
  name: string,
  elemType: number,
  dims: readonly (number | string)[],
): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  if ('string' in value)
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.string) };
  return { name, type: AttributeType.TENSOR, t: value.tensor };
}

/** Accumulates nodes and initializers of one graph; value and node names are kept unique. */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();

  /** A fresh name starting with `base`. */
  unique(base: string): string {
    let name = base;
    for (let n = 1; this.used.has(name); n++) name = `${base}_${n}`;
    this.used.add(name);
    return name;
  }

  /**
   * Appends a node. `outputs` is either explicit names (use '' to skip an optional output) or a count of
   * auto-named outputs `<node name>_output_<k>` (torch's style). Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number,
    options: NodeOptions = {},
  ): string[] {
    const name = this.unique(options.name ?? `/${opType}`);
    const outputNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, k) => this.unique(`${name}_output_${k}`))
        : [...outputs];
    for (const output of outputNames) if (output !== '') this.used.add(output);
    this.nodes.push({
      name,
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: outputNames,
      attribute: Object.entries(options.attributes ?? {}).map(([key, value]) => attribute(key, value)),
    });
    return outputNames;
  }

  /** One-output node shorthand. */
  op(opType: string, inputs: readonly string[], options: NodeOptions = {}): string {
    return this.node(opType, inputs, 1, options)[0];
  }

  initializer(tensor: onnx.ITensorProto): string {
    const name = tensor.name ?? '';
    this.used.add(name);
    this.initializers.push(tensor);
    return name;
  }

  /** A `Constant` node holding a tensor (torch emits scalars and shapes this way). */
  constant(tensor: onnx.ITensorProto, name?: string): string {
    return this.op('Constant', [], { name: name ?? '/Constant', attributes: { value: { tensor } } });
  }

  floatScalar(value: number, name?: string): string {
    return this.constant(floatTensor('', [], Float32Array.of(value)), name);
  }

  int64Constant(values: readonly number[], dims: readonly number[] = [values.length], name?: string): string {
    return this.constant(int64Tensor('', dims, values), name);
  }
}

/** Wraps a graph into a model: IR 8, default opset 17, com.microsoft 1, optional metadata_props. */
export function createModel(
  graph: onnx.IGraphProto,
  producer: string,
  metadata: Record<string, string> = {},
): onnx.ModelProto {
  return proto.ModelProto.create({
    irVersion: 8,
    producerName: producer,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph,
  });
}

/** `[out, in]` row-major to `[in, out]` (how MatMul initializers store an nn.Linear weight). */
export function transpose2d(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c];
  return out;
}
