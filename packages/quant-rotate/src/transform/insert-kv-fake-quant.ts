/**
 * Simulated K/V-cache quantization in the graph (QuaRot §4 / `fake_quant` KV quantizers; brief §7.4: "K is
 * quantized after R3, per head; V at the v_proj output, per head", asymmetric, groupsize = head_dim, clip
 * 0.95). Each value is reshaped to `[-1, head_dim]` so every row is one (token, head) group, fake-quantized
 * with the per-row activation quantizer (`emitActivationFakeQuant`, the graph twin of `fakeQuantizeKv`) and
 * reshaped back, and every reader (attention, a present output's Concat) is rewired to the result. An
 * accuracy device like the W4A4 nodes: the math runs in float32, the cache is not stored smaller.
 */
import type { NodeProto, OnnxModel } from '@x/core';
import { emitActivationFakeQuant } from '../graph/emit-activation-fake-quant';
import {
  ensureInt64Initializer,
  insertNodesBefore,
  makeNode,
  replaceInputUses,
  uniqueName,
  valueNames,
} from '../graph/onnx-nodes';

/** Fake-quantizes `value` in groups of `headDim` along its last axis; returns the new value's name. */
export function insertKvFakeQuant(
  model: OnnxModel,
  value: string,
  options: { headDim: number; bits: number; clipRatio: number; scope: string },
): string {
  const { headDim, bits, clipRatio, scope } = options;
  const taken = valueNames(model);
  const shape = uniqueName(taken, `${scope}/shape_output_0`);
  const flat = uniqueName(taken, `${scope}/flat_output_0`);
  const rows = ensureInt64Initializer(model, `kv_quant.rows_of_${headDim}`, [-1, headDim]);
  const head: NodeProto[] = [
    makeNode('Shape', [value], [shape], { name: uniqueName(taken, `${scope}/shape`) }),
    makeNode('Reshape', [value, rows], [flat], { name: uniqueName(taken, `${scope}/flat`) }),
  ];
  const quant = emitActivationFakeQuant(model, flat, { bits, clipRatio, scope });
  const output = uniqueName(valueNames(model), `${scope}/restored_output_0`);
  const tail = makeNode('Reshape', [quant.output, shape], [output], {
    name: uniqueName(valueNames(model), `${scope}/restored`),
  });
  const nodes = [...head, ...quant.nodes, tail];
  const first = (model.graph().node ?? []).find((node) => (node.input ?? []).includes(value));
  insertNodesBefore(model, first?.name ?? undefined, nodes);
  replaceInputUses(model, value, output, new Set(nodes.map((node) => node.name ?? '')));
  return output;
}
