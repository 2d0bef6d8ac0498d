import type { GraphProto } from '../proto';

/**
 * Replaces every read of `from` with `to` in a graph's nodes, recursing into subgraphs that capture it.
 * Graph outputs are left alone. Returns how many node inputs changed.
 */
export function replaceUses(graph: GraphProto, from: string, to: string, skip?: object): number {
  let count = 0;
  for (const node of graph.node ?? []) {
    if (node === skip) continue;
    const inputs = node.input ?? [];
    for (let i = 0; i < inputs.length; i++) {
      if (inputs[i] === from) {
        inputs[i] = to;
        count += 1;
      }
    }
    for (const attribute of node.attribute ?? []) {
      for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) {
        if (sub && !definesLocally(sub, from)) count += replaceUses(sub, from, to, skip);
      }
    }
  }
  return count;
}

/** True when a subgraph defines (shadows) the name itself. */
function definesLocally(graph: GraphProto, name: string): boolean {
  return (
    (graph.input ?? []).some((value) => value.name === name) ||
    (graph.initializer ?? []).some((tensor) => tensor.name === name) ||
    (graph.node ?? []).some((node) => (node.output ?? []).includes(name))
  );
}
