/**
 * Unties a tied LM head (Llama-3.2-1B/3B, Qwen small; brief §7.1, SpinQuant issue #13): the head gets its
 * own copy of the embedding, so R1 and the final norm's γ can be fused into it without touching the
 * embedding. The copy is stored in the layout the head node reads (Eᵀ `[in, out]` for a MatMul behind a
 * Transpose, E for Gemm(transB=1)); the Transpose left dead is pruned.
 */
import { createTensor, type DecoderAnatomy, type OnnxModel, pruneDeadNodes } from '@x/core';
import { QuantError } from '../errors';
import { uniqueName, valueNames } from '../graph/onnx-nodes';
import { readVector } from './projection-weights';

/** Unties in place; returns the new initializer name, or undefined when the head was not tied. */
export function untieEmbedding(model: OnnxModel, anatomy: DecoderAnatomy): string | undefined {
  const head = anatomy.lmHead;
  if (!head.tied) return undefined;
  const node = (model.graph().node ?? []).find((n) => n.name === head.node);
  if (!node || (node.opType !== 'MatMul' && node.opType !== 'Gemm')) {
    throw new QuantError(
      'QUANT_UNSUPPORTED_MODEL',
      `cannot untie the LM head ${head.node} (${node?.opType})`,
      {
        details: { node: head.node },
      },
    );
  }
  const readsTranspose = head.weightPath.length > 0;
  if (
    head.weightPath.some(
      (name) => (model.graph().node ?? []).find((n) => n.name === name)?.opType !== 'Transpose',
    )
  ) {
    throw new QuantError(
      'QUANT_UNSUPPORTED_MODEL',
      `the tied LM head ${head.node} reads the embedding through ${head.weightPath.join(', ')}`,
      {
        details: { node: head.node },
      },
    );
  }
  const { vocabSize: vocab, hiddenSize: d } = anatomy.embedding;
  const e = readVector(model, anatomy.embedding.weight);
  let data: Float32Array;
  let dims: number[];
  if (readsTranspose) {
    data = new Float32Array(vocab * d);
    for (let v = 0; v < vocab; v++) for (let c = 0; c < d; c++) data[c * vocab + v] = e[v * d + c];
    dims = [d, vocab];
  } else {
    data = e;
    dims = [vocab, d];
  }
  const name = uniqueName(valueNames(model), 'lm_head.weight');
  model.setInitializer(name, createTensor('float32', dims, data));
  const weightInput = readsTranspose ? undefined : anatomy.embedding.weight;
  node.input = (node.input ?? []).map((value, i) => {
    if (i !== 1) return value;
    return weightInput === undefined || value === weightInput ? name : value;
  });
  pruneDeadNodes(model);
  return name;
}
