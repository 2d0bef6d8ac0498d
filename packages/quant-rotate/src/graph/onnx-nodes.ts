/**
 * Minimal ONNX node/initializer construction on an `OnnxModel` (core's IR), for the transforms of this
 * package. Names are made unique against every value already in the graph.
 */
import { createTensor, type NodeProto, type OnnxModel, onnx } from '@x/core';

export type AttributeSpec = { int: number } | { ints: readonly number[] } | { float: number };

type AttributeProto = NonNullable<NodeProto['attribute']>[number];

function attribute(name: string, spec: AttributeSpec): AttributeProto {
  const type = onnx.AttributeProto.AttributeType;
  if ('int' in spec) return { name, type: type.INT, i: spec.int };
  if ('ints' in spec) return { name, type: type.INTS, ints: [...spec.ints] };
  return { name, type: type.FLOAT, f: spec.float };
}

export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  options: { name: string; domain?: string; attributes?: Record<string, AttributeSpec> },
): NodeProto {
  return onnx.NodeProto.create({
    opType,
    input: [...inputs],
    output: [...outputs],
    name: options.name,
    domain: options.domain ?? '',
    attribute: Object.entries(options.attributes ?? {}).map(([key, spec]) => attribute(key, spec)),
  });
}

/** Every value name in the graph (inputs, outputs, initializers, node outputs). */
export function valueNames(model: OnnxModel): Set<string> {
  const graph = model.graph();
  const names = new Set<string>();
  for (const v of graph.input ?? []) if (v.name) names.add(v.name);
  for (const v of graph.output ?? []) if (v.name) names.add(v.name);
  for (const t of graph.initializer ?? []) if (t.name) names.add(t.name);
  for (const n of graph.node ?? []) {
    for (const o of n.output ?? []) names.add(o);
    if (n.name) names.add(n.name);
  }
  return names;
}

/** A name starting with `base` not used in `taken`; records it. */
export function uniqueName(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** Adds (or reuses, when already present) a float32 initializer. */
export function ensureFloatInitializer(
  model: OnnxModel,
  name: string,
  dims: readonly number[],
  data: Float32Array,
): string {
  if (!model.findInitializer(name)) model.setInitializer(name, createTensor('float32', dims, data));
  return name;
}

/** Adds (or reuses) an int64 initializer. */
export function ensureInt64Initializer(model: OnnxModel, name: string, values: readonly number[]): string {
  if (!model.findInitializer(name)) {
    model.setInitializer(
      name,
      createTensor(
        'int64',
        [values.length],
        values.map((v) => BigInt(v)),
      ),
    );
  }
  return name;
}

/** Inserts `nodes` just before the node named `before` (or at the end), keeping topological order. */
export function insertNodesBefore(
  model: OnnxModel,
  before: string | undefined,
  nodes: readonly NodeProto[],
): void {
  const graph = model.graph();
  const list = graph.node ?? [];
  const index = before === undefined ? -1 : list.findIndex((n) => n.name === before);
  if (index === -1) list.push(...nodes);
  else list.splice(index, 0, ...nodes);
  graph.node = list;
}

/** Replaces input `from` by `to` in every node except those named in `except`. */
export function replaceInputUses(
  model: OnnxModel,
  from: string,
  to: string,
  except: ReadonlySet<string>,
): void {
  for (const node of model.graph().node ?? []) {
    if (except.has(node.name ?? '')) continue;
    node.input = (node.input ?? []).map((value) => (value === from ? to : value));
  }
}
