/**
 * The graph inputs that `outputs` depend on when the values in `stops` are supplied (a backward walk over
 * the producers): what a one-block subgraph must be fed (attention mask, position ids, its past K/V).
 */
import type { GraphProto } from '@x/core';

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
  const needed = new Set<string>();
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
        for (const sub of [attribute.g, ...(attribute.graphs ?? [])])
          if (sub) for (const inner of sub.node ?? []) stack.push(...(inner.input ?? []));
      }
    } else if (graphInputs.has(value)) needed.add(value);
  }
  return (graph.input ?? []).map((value) => value.name ?? '').filter((name) => needed.has(name));
}
