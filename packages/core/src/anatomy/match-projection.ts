import type { onnx } from 'onnx-proto';
import { usesThroughNoise, weightRoot } from './dataflow';
import { type GraphIndex, intAttribute, intsAttribute, unsupported } from './graph-index';
import type { ProjectionAnatomy, ProjectionOp } from './types';

const PROJECTION_OPS = new Set<string>(['MatMul', 'Gemm', 'MatMulNBits']);

/** A projection plus the value downstream code should follow (after a bias Add, if any). */
export interface MatchedProjection {
  anatomy: ProjectionAnatomy;
  node: onnx.INodeProto;
  flowOutput: string;
}

/** True for MatMul / Gemm / MatMulNBits whose right operand comes from an initializer (a linear layer). */
export function isProjection(index: GraphIndex, node: onnx.INodeProto): boolean {
  if (!PROJECTION_OPS.has(node.opType ?? '') || !node.input?.[1]) return false;
  return index.isInitializer(weightRoot(index, node.input[1]).value);
}

/** The distinct projection nodes that read `value` (through noise) as their activation input. */
export function projectionsReading(index: GraphIndex, value: string): onnx.INodeProto[] {
  const nodes: onnx.INodeProto[] = [];
  for (const use of usesThroughNoise(index, value)) {
    if (use.slot === 0 && isProjection(index, use.node) && !nodes.includes(use.node)) nodes.push(use.node);
  }
  return nodes;
}

/** Describes a projection node: weight initializer, its layout, features, bias, quantization. */
export function describeProjection(index: GraphIndex, node: onnx.INodeProto): MatchedProjection {
  const name = index.nameOf(node);
  const opType = node.opType as ProjectionOp;
  const root = weightRoot(index, node.input?.[1] ?? '');
  const dims = index.dimsOf(root.value) ?? [];
  const transposes = root.path.filter((n) => n.opType === 'Transpose');
  for (const t of transposes) {
    const perm = intsAttribute(t, 'perm');
    if (perm && !(perm.length === 2 && perm[0] === 1 && perm[1] === 0)) {
      throw unsupported(
        `projection ${name} reads its weight through Transpose ${index.nameOf(t)} with perm [${perm}]`,
        {
          node: name,
        },
      );
    }
  }
  const flips = transposes.length % 2 === 1;
  let transposed: boolean;
  let inFeatures: number;
  let outFeatures: number;
  let bias: string | undefined;
  let quantization: ProjectionAnatomy['quantization'];
  if (opType === 'MatMulNBits') {
    transposed = false;
    inFeatures = intAttribute(node, 'K', 0);
    outFeatures = intAttribute(node, 'N', 0);
    quantization = {
      bits: intAttribute(node, 'bits', 4),
      blockSize: intAttribute(node, 'block_size', 0),
      scales: node.input?.[2] ?? '',
      ...(node.input?.[3] ? { zeroPoints: node.input[3] } : {}),
    };
    bias = node.input?.[5] || undefined;
  } else {
    if (dims.length !== 2) {
      throw unsupported(
        `projection ${name}: weight ${root.value} has dims [${dims}], expected a 2-D matrix`,
        {
          node: name,
          weight: root.value,
        },
      );
    }
    if (opType === 'Gemm' && intAttribute(node, 'transA', 0) !== 0) {
      throw unsupported(`projection ${name}: Gemm with transA=1 is not supported`, { node: name });
    }
    // MatMul's B is [in, out]; Gemm transB=1 reads B as [out, in]; each Transpose on the path flips the layout.
    const readsOutIn = opType === 'Gemm' && intAttribute(node, 'transB', 0) === 1;
    transposed = readsOutIn === flips;
    [inFeatures, outFeatures] = transposed ? [dims[0], dims[1]] : [dims[1], dims[0]];
    if (opType === 'Gemm') bias = node.input?.[2] || undefined;
  }
  const output = node.output?.[0] ?? '';
  let flowOutput = output;
  let biasNode: string | undefined;
  if (bias === undefined) {
    const uses = index.consumers(output);
    const add = uses.length === 1 && uses[0].node.opType === 'Add' ? uses[0].node : undefined;
    const other = add?.input?.[1 - uses[0].slot];
    if (add && other && index.isInitializer(other) && (index.dimsOf(other) ?? []).length === 1) {
      bias = other;
      biasNode = index.nameOf(add);
      flowOutput = add.output?.[0] ?? output;
    }
  }
  return {
    node,
    flowOutput,
    anatomy: {
      node: name,
      opType,
      weight: root.value,
      transposed,
      weightPath: root.path.map((n) => index.nameOf(n)),
      inFeatures,
      outFeatures,
      input: node.input?.[0] ?? '',
      output,
      ...(bias !== undefined ? { bias } : {}),
      ...(biasNode !== undefined ? { biasNode } : {}),
      ...(quantization ? { quantization } : {}),
    },
  };
}
