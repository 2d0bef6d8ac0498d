import { XError } from '../../errors';
import type { OnnxModel } from '../model';
import { type NodeProto, onnx } from '../proto';
import { normalizeDomain } from '../validate-model';
import { type AttributeValue, createAttribute } from './attribute';
import { producers, sourceValues } from './graph-values';
import { replaceUses } from './replace-uses';

/** The node to insert. */
export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Unique node name. @defaultValue `<opType>_<n>`, the first free n */
  name?: string;
  /** Operator domain, e.g. `com.microsoft`. @defaultValue `''` (ai.onnx) */
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface InsertNodeOptions {
  /** Insert right before the node of this name. */
  before?: string;
  /** Insert right after the node of this name. */
  after?: string;
  /**
   * Route every existing node that reads this value to the new node's first output, i.e. insert the
   * node on that edge (e.g. a Hadamard rotation after an activation). Graph outputs keep their names and
   * still report the original value.
   */
  rewireConsumersOf?: string;
  /** Version to import the node's domain at when the model does not import it yet. */
  opsetVersion?: number;
}

/**
 * Inserts a node, in place, and returns its name. Default position: right after the last producer of its
 * inputs, so a topologically sorted graph stays sorted. Throws `X_GRAPH` for a duplicate node name, an
 * output that is already defined, an input nothing defines, an unknown `before`/`after`, or an op domain
 * the model does not import (pass `opsetVersion` to import it).
 */
export function insertNode(model: OnnxModel, spec: NodeSpec, options: InsertNodeOptions = {}): string {
  const graph = model.graph();
  const nodes = graph.node ?? [];
  const names = new Set(nodes.map((node) => node.name));
  const name = spec.name ?? freeName(spec.opType, names);
  if (names.has(name))
    throw new XError('X_GRAPH', `insertNode: a node named ${name} already exists`, {
      details: { node: name },
    });
  const produced = producers(graph);
  const sources = sourceValues(graph);
  for (const output of spec.outputs) {
    if (output && (produced.has(output) || sources.has(output))) {
      throw new XError('X_GRAPH', `insertNode ${name}: output ${output} is already defined in the graph`, {
        details: { node: name, value: output },
      });
    }
  }
  for (const input of spec.inputs) {
    if (input && !produced.has(input) && !sources.has(input)) {
      throw new XError(
        'X_GRAPH',
        `insertNode ${name}: input ${input} is not defined by any node, input or initializer`,
        {
          details: { node: name, value: input },
        },
      );
    }
  }
  ensureDomain(model, spec, name, options.opsetVersion);
  const node: NodeProto = onnx.NodeProto.create({
    name,
    opType: spec.opType,
    domain: spec.domain ?? '',
    input: [...spec.inputs],
    output: [...spec.outputs],
    attribute: Object.entries(spec.attributes ?? {}).map(([key, value]) => createAttribute(key, value)),
  });
  let index: number;
  if (options.before !== undefined || options.after !== undefined) {
    const anchor = options.before ?? options.after;
    const found = nodes.findIndex((existing) => existing.name === anchor);
    if (found === -1)
      throw new XError('X_GRAPH', `insertNode ${name}: no node named ${anchor}`, {
        details: { node: anchor },
      });
    index = options.before !== undefined ? found : found + 1;
  } else {
    index = spec.inputs.reduce((last, input) => Math.max(last, (produced.get(input) ?? -1) + 1), 0);
  }
  nodes.splice(index, 0, node);
  graph.node = nodes;
  if (options.rewireConsumersOf !== undefined) {
    const from = options.rewireConsumersOf;
    const to = spec.outputs[0];
    replaceUses(graph, from, to, node);
  }
  return name;
}

function freeName(opType: string, names: Set<string | null | undefined>): string {
  let n = 0;
  while (names.has(`${opType}_${n}`)) n += 1;
  return `${opType}_${n}`;
}

function ensureDomain(model: OnnxModel, spec: NodeSpec, name: string, version: number | undefined): void {
  const domain = normalizeDomain(spec.domain);
  if ((model.proto.opsetImport ?? []).some((opset) => normalizeDomain(opset.domain) === domain)) return;
  if (version === undefined) {
    throw new XError(
      'X_GRAPH',
      `insertNode ${name}: op domain ${JSON.stringify(spec.domain ?? '')} is not imported by the model; pass opsetVersion to import it`,
      { details: { node: name, domain: spec.domain ?? '' } },
    );
  }
  importOpset(model, spec.domain ?? '', version);
}

/**
 * Imports op `domain` at `version` unless the model imports it already (any version): what a model needs before it
 * holds a node of that domain (e.g. `com.microsoft` for ORT contrib ops added to a torch.onnx export).
 */
export function importOpset(model: OnnxModel, domain: string, version: number): void {
  const imports = model.proto.opsetImport ?? [];
  if (imports.some((opset) => normalizeDomain(opset.domain) === normalizeDomain(domain))) return;
  imports.push(onnx.OperatorSetIdProto.create({ domain, version }));
  model.proto.opsetImport = imports;
}
