/**
 * ONNX nodes for the online Hadamard transform y = H_n x on the last axis (R3/R4; brief §7.3, §7.5):
 * never a dense n x n MatMul, but the Kronecker form
 *
 *   Reshape [..., n] → [..., K, 2^m];  MatMul(·, Ĥ_{2^m});  MatMul(Ĥ_K, ·) (broadcast);  Reshape → [..., n]
 *
 * (one MatMul with Ĥ_n when n is a power of two), which costs K²·2^m + K·4^m per row instead of n². Plain
 * ai.onnx ops, so it runs on every ORT backend. Matches `applyHadamard` (the TS twin).
 */
import type { NodeProto, OnnxModel } from '@x/core';
import { factorHadamard } from '../rotation/hadamard-factors';
import {
  ensureFloatInitializer,
  ensureInt64Initializer,
  makeNode,
  uniqueName,
  valueNames,
} from './onnx-nodes';

export interface OnlineHadamardNodes {
  nodes: NodeProto[];
  output: string;
}

/**
 * Builds the nodes (not inserted) for a Hadamard of size `n` on the last axis of `input`, a tensor of
 * rank `rank` >= 2. Constants are shared model-wide by name (`hadamard.{n}.*`).
 */
export function emitOnlineHadamard(
  model: OnnxModel,
  input: string,
  options: { n: number; rank: number; scope: string },
): OnlineHadamardNodes {
  const { n, rank, scope } = options;
  const { k, powerOfTwo: p, outer, inner } = factorHadamard(n);
  const taken = valueNames(model);
  const innerName = ensureFloatInitializer(model, `hadamard.${n}.inner`, [p, p], Float32Array.from(inner));
  const out = (tag: string) => uniqueName(taken, `${scope}/${tag}_output_0`);
  if (k === 1) {
    const output = out('hadamard');
    return {
      nodes: [
        makeNode('MatMul', [input, innerName], [output], { name: uniqueName(taken, `${scope}/hadamard`) }),
      ],
      output,
    };
  }
  const outerName = ensureFloatInitializer(model, `hadamard.${n}.outer`, [k, k], Float32Array.from(outer));
  const keep = new Array(rank - 1).fill(0);
  const split = ensureInt64Initializer(model, `hadamard.${n}.split_shape.r${rank}`, [...keep, k, p]);
  const merge = ensureInt64Initializer(model, `hadamard.${n}.merge_shape.r${rank}`, [...keep, n]);
  const reshaped = out('hadamard_split');
  const right = out('hadamard_inner');
  const left = out('hadamard_outer');
  const output = out('hadamard');
  return {
    nodes: [
      makeNode('Reshape', [input, split], [reshaped], { name: uniqueName(taken, `${scope}/hadamard_split`) }),
      makeNode('MatMul', [reshaped, innerName], [right], {
        name: uniqueName(taken, `${scope}/hadamard_inner`),
      }),
      makeNode('MatMul', [outerName, right], [left], { name: uniqueName(taken, `${scope}/hadamard_outer`) }),
      makeNode('Reshape', [left, merge], [output], { name: uniqueName(taken, `${scope}/hadamard_merge`) }),
    ],
    output,
  };
}
