import type { OnnxModel } from '../model';
import { nodeInputs } from './graph-values';

export interface PruneDeadNodesResult {
  /** Names (or op types, for unnamed nodes) of the nodes removed. */
  removedNodes: string[];
  removedInitializers: string[];
}

/**
 * Removes, in place, every node whose outputs reach no graph output, then every initializer no remaining
 * node or graph output reads, and the value_info of removed values. Graph inputs are kept (they are the
 * model's interface), even when unused.
 */
export function pruneDeadNodes(model: OnnxModel): PruneDeadNodesResult {
  const graph = model.graph();
  const nodes = graph.node ?? [];
  const live = new Set((graph.output ?? []).map((value) => value.name ?? ''));
  const keep = new Array<boolean>(nodes.length).fill(false);
  for (let index = nodes.length - 1; index >= 0; index--) {
    const node = nodes[index];
    if (!(node.output ?? []).some((output) => output !== '' && live.has(output))) continue;
    keep[index] = true;
    for (const value of nodeInputs(node)) live.add(value);
  }
  const removedNodes = nodes.filter((_, index) => !keep[index]).map((node) => node.name || node.opType || '');
  graph.node = nodes.filter((_, index) => keep[index]);
  // Initializers that double as graph inputs (IR < 4 default values) belong to the interface: keep them.
  for (const value of graph.input ?? []) live.add(value.name ?? '');
  const initializers = graph.initializer ?? [];
  const removedInitializers = initializers
    .filter((tensor) => !live.has(tensor.name ?? ''))
    .map((tensor) => tensor.name ?? '');
  graph.initializer = initializers.filter((tensor) => live.has(tensor.name ?? ''));
  const produced = new Set((graph.node ?? []).flatMap((node) => node.output ?? []));
  graph.valueInfo = (graph.valueInfo ?? []).filter((value) => produced.has(value.name ?? ''));
  return { removedNodes, removedInitializers };
}
