import { XError } from '../../errors';
import type { OnnxModel } from '../model';
import { producers, sourceValues } from './graph-values';
import { createValueInfo, findValueInfo, type ValueType } from './value-info';

export interface AddGraphOutputsOptions {
  /** Types to declare, by value name; otherwise taken from value_info/inputs/initializers when known. */
  types?: Record<string, ValueType>;
}

/**
 * Makes intermediate values fetchable by appending them to the graph outputs (ORT can only fetch graph
 * outputs: "'fetches' contains invalid output name"). Edits the model in place and returns the names
 * actually added (values that already are outputs are skipped).
 *
 * Types are optional: verified with onnxruntime-node and onnxruntime-web 1.30, an output declared by name
 * only (no type) or with only an element type runs at every graphOptimizationLevel, and ORT reports the
 * inferred type and shape in outputMetadata. Open such sessions with graphOptimizationLevel 'disabled'
 * or 'basic' if the value could be fused away. Throws `X_GRAPH` naming a value nothing defines.
 */
export function addGraphOutputs(
  model: OnnxModel,
  names: readonly string[],
  options: AddGraphOutputsOptions = {},
): string[] {
  const graph = model.graph();
  const known = sourceValues(graph);
  const produced = producers(graph);
  const outputs = graph.output ?? [];
  const existing = new Set(outputs.map((value) => value.name));
  const added: string[] = [];
  for (const name of names) {
    if (existing.has(name)) continue;
    if (!known.has(name) && !produced.has(name)) {
      throw new XError('X_GRAPH', `addGraphOutputs: no node, input or initializer defines ${name}`, {
        details: { value: name },
      });
    }
    const given = options.types?.[name];
    outputs.push(
      given ? createValueInfo(name, given) : (findValueInfo(graph, name) ?? createValueInfo(name)),
    );
    existing.add(name);
    added.push(name);
  }
  graph.output = outputs;
  return added;
}
