import { XError } from '../../errors';
import type { OnnxModel } from '../model';
import type { GraphProto } from '../proto';
import { producers, sourceValues } from './graph-values';
import { replaceUses } from './replace-uses';

/**
 * Renames a value everywhere, in place: the node producing it, every reader (subgraphs included), graph
 * inputs/outputs, value_info and initializers. Throws `X_GRAPH` when `from` is not defined or `to` is.
 */
export function renameValue(model: OnnxModel, from: string, to: string): void {
  const graph = model.graph();
  const produced = producers(graph);
  const sources = sourceValues(graph);
  const outputs = new Set((graph.output ?? []).map((value) => value.name));
  if (!produced.has(from) && !sources.has(from)) {
    throw new XError('X_GRAPH', `renameValue: no node, input or initializer defines ${from}`, {
      details: { value: from },
    });
  }
  if (!to || produced.has(to) || sources.has(to) || outputs.has(to) || isRead(graph, to)) {
    throw new XError('X_GRAPH', `renameValue: ${JSON.stringify(to)} is empty or already used in the graph`, {
      details: { value: to },
    });
  }
  replaceUses(graph, from, to);
  for (const node of graph.node ?? []) {
    const list = node.output ?? [];
    for (let i = 0; i < list.length; i++) if (list[i] === from) list[i] = to;
  }
  for (const value of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    if (value.name === from) value.name = to;
  }
  for (const tensor of graph.initializer ?? []) if (tensor.name === from) tensor.name = to;
}

function isRead(graph: GraphProto, name: string): boolean {
  return (graph.node ?? []).some((node) => (node.input ?? []).includes(name));
}
