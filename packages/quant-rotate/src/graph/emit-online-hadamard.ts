/**
 * ONNX nodes for the online Hadamard transform y = H_n x on the last axis (R3/R4; brief §7.3, §7.5):
 * never a dense n x n MatMul, but the Kronecker form
 *
 *   Reshape [..., n] → [-1, K, 2^m];  MatMul(·, Ĥ_{2^m});  MatMul(Ĥ_K, ·) (broadcast);  Reshape → Shape(x)
 *
 * which costs K²·2^m + K·4^m per row instead of n². When the last axis is exactly n and n is a power of
 * two it is a single MatMul with Ĥ_n. With `blocks`, the last axis may hold several consecutive blocks of n
 * (per-head R3 on a `[batch, seq, heads·headDim]` tensor), each transformed on its own. Plain ai.onnx ops,
 * so it runs on every ORT backend. Matches `applyHadamard` (the TS twin).
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

export interface OnlineHadamardOptions {
  /** Hadamard size. */
  n: number;
  /** Prefix of the new node and value names. */
  scope: string;
  /** The last axis is a multiple of n (blocks transformed independently). @defaultValue false */
  blocks?: boolean;
}

/** Builds the nodes (not inserted) for `input`. Constants are shared model-wide by name (`hadamard.{n}.*`). */
export function emitOnlineHadamard(
  model: OnnxModel,
  input: string,
  options: OnlineHadamardOptions,
): OnlineHadamardNodes {
  const { n, scope } = options;
  const { k, powerOfTwo: p, outer, inner } = factorHadamard(n);
  const taken = valueNames(model);
  const innerName = ensureFloatInitializer(model, `hadamard.${n}.inner`, [p, p], Float32Array.from(inner));
  const value = (tag: string) => uniqueName(taken, `${scope}/${tag}_output_0`);
  const node = (tag: string) => uniqueName(taken, `${scope}/${tag}`);
  if (k === 1 && !options.blocks) {
    const output = value('hadamard');
    return { nodes: [makeNode('MatMul', [input, innerName], [output], { name: node('hadamard') })], output };
  }
  const nodes: NodeProto[] = [];
  const shape = value('hadamard_shape');
  nodes.push(makeNode('Shape', [input], [shape], { name: node('hadamard_shape') }));
  const splitDims = k === 1 ? [-1, p] : [-1, k, p];
  const split = ensureInt64Initializer(model, `hadamard.${n}.split_shape`, splitDims);
  const reshaped = value('hadamard_split');
  nodes.push(makeNode('Reshape', [input, split], [reshaped], { name: node('hadamard_split') }));
  let current = value('hadamard_inner');
  nodes.push(makeNode('MatMul', [reshaped, innerName], [current], { name: node('hadamard_inner') }));
  if (k > 1) {
    const outerName = ensureFloatInitializer(model, `hadamard.${n}.outer`, [k, k], Float32Array.from(outer));
    const left = value('hadamard_outer');
    nodes.push(makeNode('MatMul', [outerName, current], [left], { name: node('hadamard_outer') }));
    current = left;
  }
  const output = value('hadamard');
  nodes.push(makeNode('Reshape', [current, shape], [output], { name: node('hadamard_merge') }));
  return { nodes, output };
}
