import type { GraphProto } from '../proto';

/**
 * The graph inputs that `outputs` depend on when the values in `stops` are supplied: a backward walk over the
 * producers. Used to feed exactly what a block subgraph reads (attention mask, position ids, its past kv, ...).
 */
export function graphInputsNeeded(
  graph: GraphProto,
  outputs: readonly string[],
  stops: readonly string[],
): string[] {
  const producer = new Map<string, number>();
  (graph.node ?? []).forEach((node, index) => {
    for (const output of node.output ?? []) if (output) producer.set(output, index);
  });
  const graphInputs = new Set((graph.input ?? []).map((value) => value.name ?? ''));
  const stop = new Set(stops);
  const seen = new Set<string>();
  const needed: string[] = [];
  const stack = [...outputs];
  while (stack.length > 0) {
    const value = stack.pop() as string;
    if (!value || seen.has(value) || stop.has(value)) continue;
    seen.add(value);
    const index = producer.get(value);
    if (index !== undefined) {
      const node = (graph.node ?? [])[index];
      stack.push(...(node.input ?? []));
      for (const attribute of node.attribute ?? []) {
        // Control-flow subgraphs may read outer values; walk their inputs too.
        for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) {
          if (sub) for (const inner of sub.node ?? []) stack.push(...(inner.input ?? []));
        }
      }
    } else if (graphInputs.has(value)) needed.push(value);
  }
  return (graph.input ?? []).map((value) => value.name ?? '').filter((name) => needed.includes(name));
}
