import type { GraphProto, NodeProto } from '../proto';

/**
 * Values a node reads: its explicit inputs (empty names are omitted optional inputs) plus the outer-scope
 * values its subgraphs (If/Loop/Scan bodies) capture, which ORT resolves from the enclosing graph.
 */
export function nodeInputs(node: NodeProto): string[] {
  const names = (node.input ?? []).filter((name) => name !== '');
  for (const attribute of node.attribute ?? []) {
    for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) {
      if (sub) names.push(...capturedValues(sub));
    }
  }
  return names;
}

/** Values a subgraph uses but does not define itself (its implicit inputs from the outer scope). */
export function capturedValues(graph: GraphProto): string[] {
  const defined = new Set<string>([
    ...(graph.input ?? []).map((value) => value.name ?? ''),
    ...(graph.initializer ?? []).map((tensor) => tensor.name ?? ''),
  ]);
  const captured = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const name of nodeInputs(node)) if (!defined.has(name)) captured.add(name);
    for (const name of node.output ?? []) if (name) defined.add(name);
  }
  for (const value of graph.output ?? [])
    if (value.name && !defined.has(value.name)) captured.add(value.name);
  return [...captured];
}

/** Map from each value name to the index of the node producing it. */
export function producers(graph: GraphProto): Map<string, number> {
  const map = new Map<string, number>();
  (graph.node ?? []).forEach((node, index) => {
    for (const name of node.output ?? []) if (name) map.set(name, index);
  });
  return map;
}

/** Values defined without a node: graph inputs and initializers. */
export function sourceValues(graph: GraphProto): Set<string> {
  return new Set<string>([
    ...(graph.input ?? []).map((value) => value.name ?? ''),
    ...(graph.initializer ?? []).map((tensor) => tensor.name ?? ''),
  ]);
}

/** A readable label for a node in messages. */
export function describeNode(node: NodeProto, index: number): string {
  return `${node.name ? `node ${node.name}` : `node #${index}`} (${node.opType ?? '?'})`;
}
