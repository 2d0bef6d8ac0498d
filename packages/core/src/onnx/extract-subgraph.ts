import { XError } from '../errors';
import { describeNode, nodeInputs, producers } from './edit/graph-values';
import { createValueInfo, findValueInfo, type ValueType } from './edit/value-info';
import { OnnxModel } from './model';
import { onnx, type ValueInfoProto } from './proto';

export interface ExtractSubgraphOptions {
  /** Values that become the subgraph's inputs (graph inputs, intermediate values or initializers). */
  inputs: readonly string[];
  /** Values that become its outputs. */
  outputs: readonly string[];
  /**
   * Types for inputs (and optionally outputs) that the model's value_info does not declare. ORT needs at
   * least the element type of every graph input. A `Tensor` is a `ValueType`, so the outputs of a run of the
   * full model (with `addGraphOutputs`) can be passed as is.
   */
  types?: Record<string, ValueType>;
}

/**
 * A new model computing `outputs` from `inputs`: only the nodes and initializers needed, in their original
 * order. Initializer bytes (inline raw data and external-data files) are shared with the source, not copied;
 * graph-level edits on either model do not affect the other. Typical use: run one decoder block at a time.
 *
 * Throws `X_GRAPH` when an output depends on a graph input that is not listed (naming both), when a listed
 * value does not exist, or when an input's type is unknown (pass `types`).
 */
export function extractSubgraph(model: OnnxModel, options: ExtractSubgraphOptions): OnnxModel {
  const graph = model.graph();
  const nodes = graph.node ?? [];
  const inputs = new Set(options.inputs);
  const produced = producers(graph);
  const initializers = new Map((graph.initializer ?? []).map((tensor) => [tensor.name ?? '', tensor]));
  const graphInputs = new Set((graph.input ?? []).map((value) => value.name ?? ''));
  for (const name of [...options.inputs, ...options.outputs]) {
    if (!produced.has(name) && !initializers.has(name) && !graphInputs.has(name)) {
      throw new XError('X_GRAPH', `extractSubgraph: no node, input or initializer defines ${name}`, {
        details: { value: name },
      });
    }
  }
  const neededNodes = new Set<number>();
  const neededInitializers = new Set<string>();
  const seen = new Set<string>();
  for (const output of options.outputs) {
    const stack = [output];
    while (stack.length > 0) {
      const value = stack.pop() as string;
      if (seen.has(value) || inputs.has(value)) continue;
      seen.add(value);
      const producer = produced.get(value);
      if (producer !== undefined) {
        neededNodes.add(producer);
        stack.push(...nodeInputs(nodes[producer]));
      } else if (initializers.has(value)) {
        neededInitializers.add(value);
      } else if (graphInputs.has(value)) {
        throw new XError(
          'X_GRAPH',
          `extractSubgraph: output ${output} depends on graph input ${value}, which is not among the inputs [${options.inputs.join(', ')}]`,
          { details: { output, input: value } },
        );
      } else {
        const reader = nodes.findIndex((node) => nodeInputs(node).includes(value));
        throw new XError(
          'X_GRAPH',
          `extractSubgraph: output ${output} depends on ${value}, which nothing defines${reader >= 0 ? ` (read by ${describeNode(nodes[reader], reader)})` : ''}`,
          { details: { output, value } },
        );
      }
    }
  }
  const typed = (name: string, role: 'input' | 'output'): ValueInfoProto => {
    const given = options.types?.[name];
    if (given) return createValueInfo(name, given);
    const found = findValueInfo(graph, name);
    if (found) return found;
    if (role === 'output') return createValueInfo(name);
    throw new XError(
      'X_GRAPH',
      `extractSubgraph: the type of input ${name} is unknown (no value_info declares it); pass it in options.types`,
      { details: { value: name } },
    );
  };
  const kept = nodes.filter((_, index) => neededNodes.has(index));
  const keptValues = new Set(kept.flatMap((node) => node.output ?? []));
  const subgraph = onnx.GraphProto.create({
    name: `${graph.name || 'graph'}_subgraph`,
    node: kept,
    input: options.inputs.map((name) => typed(name, 'input')),
    output: options.outputs.map((name) => typed(name, 'output')),
    initializer: (graph.initializer ?? []).filter((tensor) => neededInitializers.has(tensor.name ?? '')),
    valueInfo: (graph.valueInfo ?? []).filter(
      (value) => keptValues.has(value.name ?? '') && !inputs.has(value.name ?? ''),
    ),
  });
  const { proto } = model;
  const extracted = onnx.ModelProto.create({
    ...proto,
    opsetImport: [...(proto.opsetImport ?? [])],
    graph: subgraph,
  });
  // Nodes are shared structurally with the source: clone so graph edits on one never reach the other.
  const copy = onnx.ModelProto.fromObject(onnx.ModelProto.toObject(extracted));
  return new OnnxModel(copy, { baseDir: model.baseDir, source: model.source });
}
