import { XError } from '../errors';
import { isExternal, readExternalDataInfo } from './external-data-info';
import type { OnnxModel } from './model';
import type { GraphProto } from './proto';
import { tensorProtoByteLength } from './tensor-proto';

/**
 * Structural checks run when a model is parsed: it looks like ONNX (a graph, an IR version, opset imports),
 * every node's domain is imported, and every external-data range exists. Nothing is loaded.
 */
export function validateModel(model: OnnxModel, label: string): void {
  const { proto } = model;
  const graph = proto.graph;
  if (!graph || !proto.irVersion || (proto.opsetImport ?? []).length === 0) {
    const missing = !graph ? 'no graph' : !proto.irVersion ? 'no ir_version' : 'no opset_import';
    throw new XError(
      'X_MODEL_CORRUPT',
      `${label} is not a valid ONNX model (${missing}); is the file truncated or of another format?`,
      {
        details: { file: label, missing },
      },
    );
  }
  const domains = new Set((proto.opsetImport ?? []).map((opset) => normalizeDomain(opset.domain)));
  for (const fn of proto.functions ?? []) domains.add(normalizeDomain(fn.domain));
  checkDomains(graph, domains, label);
  checkExternalData(model);
}

function checkDomains(graph: GraphProto, domains: Set<string>, label: string): void {
  for (const node of graph.node ?? []) {
    if (!node.opType) {
      throw new XError('X_MODEL_CORRUPT', `${label}: node ${node.name || '(unnamed)'} has no op_type`, {
        details: { file: label, node: node.name },
      });
    }
    const domain = normalizeDomain(node.domain);
    if (!domains.has(domain)) {
      throw new XError(
        'X_GRAPH',
        `${label}: node ${node.name || '(unnamed)'} (${node.opType}) uses op domain ${JSON.stringify(node.domain ?? '')}, which the model does not import (opset_import: ${[...domains].map((d) => JSON.stringify(d)).join(', ')})`,
        { details: { file: label, node: node.name, opType: node.opType, domain: node.domain ?? '' } },
      );
    }
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) checkDomains(attribute.g, domains, label);
      for (const sub of attribute.graphs ?? []) checkDomains(sub, domains, label);
    }
  }
}

function checkExternalData(model: OnnxModel): void {
  for (const tensor of model.proto.graph?.initializer ?? []) {
    if (!isExternal(tensor)) continue;
    const name = tensor.name ?? '';
    const info = readExternalDataInfo(tensor);
    const length = tensorProtoByteLength(tensor) ?? 0;
    const size = model.source.size(info.location, name);
    if (info.offset + length > size) {
      throw new XError(
        'X_EXTERNAL_DATA',
        `initializer ${name}: external data range [${info.offset}, ${info.offset + length}) lies beyond the end of ${info.location} (${size} bytes)`,
        { details: { tensor: name, location: info.location, offset: info.offset, length, fileBytes: size } },
      );
    }
  }
}

/** `ai.onnx` and the empty string name the same default domain. */
export function normalizeDomain(domain: string | null | undefined): string {
  return !domain || domain === 'ai.onnx' ? '' : domain;
}
