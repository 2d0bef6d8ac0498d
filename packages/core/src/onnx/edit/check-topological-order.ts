import { XError } from '../../errors';
import type { OnnxModel } from '../model';
import { describeNode, nodeInputs, sourceValues } from './graph-values';

export type TopologicalOrderResult =
  | { ok: true }
  | {
      ok: false;
      /** Index and name of the first node that reads a value not defined before it. */
      nodeIndex: number;
      node: string;
      /** The value it reads. */
      value: string;
      /** Whether some later node defines the value (order problem) or nothing does (undefined value). */
      definedLater: boolean;
      message: string;
    };

export interface CheckTopologicalOrderOptions {
  /** Throw `X_GRAPH` instead of returning `{ ok: false }`. @defaultValue false */
  throwOnError?: boolean;
}

/**
 * Checks that every node only reads graph inputs, initializers or outputs of earlier nodes (including
 * values captured by If/Loop bodies). Returns the first offending node, or throws with `throwOnError`.
 */
export function checkTopologicalOrder(
  model: OnnxModel,
  options: CheckTopologicalOrderOptions = {},
): TopologicalOrderResult {
  const graph = model.graph();
  const defined = sourceValues(graph);
  const nodes = graph.node ?? [];
  const laterOutputs = new Set(nodes.flatMap((node) => node.output ?? []));
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index];
    for (const value of nodeInputs(node)) {
      if (defined.has(value)) continue;
      const definedLater = laterOutputs.has(value);
      const message = `${describeNode(node, index)} reads ${value}, which ${definedLater ? 'is only produced by a later node' : 'no node, input or initializer defines'}`;
      if (options.throwOnError) {
        throw new XError('X_GRAPH', message, {
          details: { node: node.name, nodeIndex: index, value, definedLater },
        });
      }
      return { ok: false, nodeIndex: index, node: node.name ?? '', value, definedLater, message };
    }
    for (const output of node.output ?? []) if (output) defined.add(output);
  }
  return { ok: true };
}
