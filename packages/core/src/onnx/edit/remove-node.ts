import { XError } from '../../errors';
import type { OnnxModel } from '../model';
import { nodeInputs } from './graph-values';
import { replaceUses } from './replace-uses';

export interface RemoveNodeOptions {
  /**
   * Reconnect readers of the node's (single) output to its first input, as when dropping an Identity,
   * a Cast that became a no-op, or a rotation folded into weights.
   * @defaultValue false: the node's outputs must be unused
   */
  reconnect?: boolean;
}

/**
 * Removes the named node, in place. Throws `X_GRAPH` when no node has that name, when its outputs are still
 * read (naming the readers) and `reconnect` is off, or when `reconnect` cannot apply (not exactly one
 * output, no input, or the output is a graph output).
 */
export function removeNode(model: OnnxModel, name: string, options: RemoveNodeOptions = {}): void {
  const graph = model.graph();
  const nodes = graph.node ?? [];
  const index = nodes.findIndex((node) => node.name === name);
  if (index === -1)
    throw new XError('X_GRAPH', `removeNode: no node named ${name}`, { details: { node: name } });
  const node = nodes[index];
  const outputs = (node.output ?? []).filter((output) => output !== '');
  const graphOutputs = new Set((graph.output ?? []).map((value) => value.name));
  if (options.reconnect) {
    const input = (node.input ?? []).find((value) => value !== '');
    if (outputs.length !== 1 || input === undefined || graphOutputs.has(outputs[0])) {
      throw new XError(
        'X_GRAPH',
        `removeNode ${name}: reconnect needs one input and one output that is not a graph output (outputs: ${outputs.join(', ') || 'none'})`,
        { details: { node: name } },
      );
    }
    replaceUses(graph, outputs[0], input, node);
  } else {
    const readers = nodes
      .filter((other) => other !== node && nodeInputs(other).some((value) => outputs.includes(value)))
      .map((other) => other.name || other.opType);
    const asOutputs = outputs.filter((output) => graphOutputs.has(output));
    if (readers.length > 0 || asOutputs.length > 0) {
      throw new XError(
        'X_GRAPH',
        `removeNode ${name}: its outputs are still used by ${[...readers.map((reader) => `node ${reader}`), ...asOutputs.map((output) => `graph output ${output}`)].join(', ')}; pass { reconnect: true } or remove those first`,
        { details: { node: name, readers, graphOutputs: asOutputs } },
      );
    }
  }
  nodes.splice(index, 1);
  graph.node = nodes;
  graph.valueInfo = (graph.valueInfo ?? []).filter((value) => !outputs.includes(value.name ?? ''));
}
