/**
 * Inserts simulated per-token activation quantization (`emitActivationFakeQuant`) on the input of a group of
 * projections (q/k/v share one input, gate/up another) and rewires only those projection nodes to it; the
 * residual stream and every other reader keep the float value.
 */
import type { OnnxModel } from '@x/core';
import { QuantError } from '../errors';
import { emitActivationFakeQuant } from '../graph/emit-activation-fake-quant';
import { insertNodesBefore } from '../graph/onnx-nodes';

export function insertActivationFakeQuant(
  model: OnnxModel,
  input: string,
  projectionNodes: readonly string[],
  options: { bits: number; clipRatio: number; scope: string },
): void {
  const { nodes, output } = emitActivationFakeQuant(model, input, options);
  const targets = new Set(projectionNodes);
  const graphNodes = model.graph().node ?? [];
  const first = graphNodes.find((node) => targets.has(node.name ?? ''));
  if (first === undefined) {
    throw new QuantError('QUANT_UNSUPPORTED_MODEL', `none of ${projectionNodes.join(', ')} is in the graph`, {
      details: { nodes: projectionNodes },
    });
  }
  insertNodesBefore(model, first.name ?? undefined, nodes);
  for (const node of graphNodes) {
    if (!targets.has(node.name ?? '')) continue;
    node.input = (node.input ?? []).map((value, i) => (i === 0 && value === input ? output : value));
  }
}
