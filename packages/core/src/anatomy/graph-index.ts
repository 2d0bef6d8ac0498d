import type { onnx } from 'onnx-proto';
import { XError } from '../errors';

type Int64 = number | { toNumber(): number } | null | undefined;

/** A protobufjs int64 field (number or Long) as a number. */
export function toNumber(value: Int64): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/** Larger tensors are weights, not the scalars and shapes the matchers read. */
const MAX_CONSTANT_SIZE = 64;

/** Where a value is consumed: the node and the input slot. */
export interface Use {
  node: onnx.INodeProto;
  slot: number;
}

/**
 * Read-only lookups over one graph: producers, consumers, initializers, Constant-node values, graph I/O.
 * Node names fall back to `<opType>#<index>` for unnamed nodes so errors can always name a node.
 */
export class GraphIndex {
  readonly nodes: readonly onnx.INodeProto[];
  readonly initializers = new Map<string, onnx.ITensorProto>();
  readonly graphInputs = new Map<string, onnx.IValueInfoProto>();
  readonly graphOutputs = new Set<string>();
  private readonly producers = new Map<string, onnx.INodeProto>();
  private readonly uses = new Map<string, Use[]>();
  private readonly names = new Map<onnx.INodeProto, string>();

  constructor(graph: onnx.IGraphProto) {
    this.nodes = graph.node ?? [];
    for (const tensor of graph.initializer ?? []) this.initializers.set(tensor.name ?? '', tensor);
    for (const input of graph.input ?? []) {
      if (!this.initializers.has(input.name ?? '')) this.graphInputs.set(input.name ?? '', input);
    }
    for (const output of graph.output ?? []) this.graphOutputs.add(output.name ?? '');
    this.nodes.forEach((node, index) => {
      this.names.set(node, node.name || `${node.opType}#${index}`);
      for (const output of node.output ?? []) if (output) this.producers.set(output, node);
      (node.input ?? []).forEach((input, slot) => {
        if (!input) return;
        const list = this.uses.get(input) ?? [];
        list.push({ node, slot });
        this.uses.set(input, list);
      });
    });
  }

  nameOf(node: onnx.INodeProto): string {
    return this.names.get(node) ?? node.name ?? node.opType ?? '?';
  }

  producer(value: string): onnx.INodeProto | undefined {
    return this.producers.get(value);
  }

  consumers(value: string): readonly Use[] {
    return this.uses.get(value) ?? [];
  }

  isInitializer(value: string): boolean {
    return this.initializers.has(value);
  }

  /** Static dims of an initializer, or of a graph input's declared shape (-1 for dynamic dims). */
  dimsOf(value: string): number[] | undefined {
    const tensor = this.initializers.get(value);
    if (tensor) return (tensor.dims ?? []).map(toNumber);
    const input = this.graphInputs.get(value);
    const dims = input?.type?.tensorType?.shape?.dim;
    if (!dims) return undefined;
    return dims.map((dim) =>
      dim.dimValue !== null && dim.dimValue !== undefined ? toNumber(dim.dimValue) : -1,
    );
  }

  /**
   * The numeric values of a small constant (initializer or Constant node output, at most 64 elements), or
   * undefined when the value is computed, large or stored externally. Float, double, int32 and int64 only.
   */
  constantValues(value: string): number[] | undefined {
    const tensor = this.initializers.get(value) ?? this.constantTensor(value);
    if (!tensor || tensor.dataLocation === 1) return undefined; // 1: EXTERNAL (weights, never small constants)
    const size = (tensor.dims ?? []).reduce<number>((product, dim) => product * toNumber(dim), 1);
    return size <= MAX_CONSTANT_SIZE ? decodeValues(tensor) : undefined;
  }

  private constantTensor(value: string): onnx.ITensorProto | undefined {
    const node = this.producers.get(value);
    if (node?.opType !== 'Constant') return undefined;
    const attribute = node.attribute?.find((a) => a.name === 'value');
    if (attribute?.t) return attribute.t;
    const floatValue = node.attribute?.find((a) => a.name === 'value_float');
    if (floatValue) return { dataType: 1, dims: [], floatData: [floatValue.f ?? 0] };
    const intsValue = node.attribute?.find((a) => a.name === 'value_ints');
    if (intsValue)
      return { dataType: 7, dims: [intsValue.ints?.length ?? 0], int64Data: intsValue.ints ?? [] };
    const intValue = node.attribute?.find((a) => a.name === 'value_int');
    if (intValue) return { dataType: 7, dims: [], int64Data: [intValue.i ?? 0] };
    return undefined;
  }
}

/** An attribute value (int, float or ints) or the fallback. */
export function attributeOf(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function intAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const attribute = attributeOf(node, name);
  return attribute ? toNumber(attribute.i) : fallback;
}

export function floatAttribute(node: onnx.INodeProto, name: string, fallback: number): number {
  const attribute = attributeOf(node, name);
  return attribute ? (attribute.f ?? fallback) : fallback;
}

export function intsAttribute(node: onnx.INodeProto, name: string): number[] | undefined {
  const attribute = attributeOf(node, name);
  return attribute ? (attribute.ints ?? []).map(toNumber) : undefined;
}

function decodeValues(tensor: onnx.ITensorProto): number[] | undefined {
  const type = tensor.dataType ?? 0;
  const raw = tensor.rawData;
  if (raw && raw.byteLength > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read = (width: number, get: (offset: number) => number) =>
      Array.from({ length: raw.byteLength / width }, (_, i) => get(i * width));
    if (type === 1) return read(4, (o) => view.getFloat32(o, true));
    if (type === 11) return read(8, (o) => view.getFloat64(o, true));
    if (type === 6) return read(4, (o) => view.getInt32(o, true));
    if (type === 7) return read(8, (o) => Number(view.getBigInt64(o, true)));
    return undefined;
  }
  if (type === 1) return [...(tensor.floatData ?? [])];
  if (type === 11) return [...(tensor.doubleData ?? [])];
  if (type === 6) return [...(tensor.int32Data ?? [])];
  if (type === 7) return (tensor.int64Data ?? []).map(toNumber);
  return undefined;
}

/** The typed error for a structure the matcher does not support; always names a node or value. */
export function unsupported(message: string, details: Record<string, unknown>): XError {
  return new XError('X_UNSUPPORTED_ARCHITECTURE', `findDecoderAnatomy: ${message}`, { details });
}
