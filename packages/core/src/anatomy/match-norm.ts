import type { onnx } from 'onnx-proto';
import { backwardRoot, forwardAliases, sameValue } from './dataflow';
import { floatAttribute, type GraphIndex, unsupported } from './graph-index';
import type { NormAnatomy } from './types';

const DTYPE_NOISE = new Set(['Cast', 'Identity']);

/**
 * The RMSNorm that normalises `stream`, in any of the supported spellings, or undefined. A LayerNormalization
 * (mean-centred, not Llama) is rejected with the typed error.
 */
export function findNormAt(index: GraphIndex, stream: string): NormAnatomy | undefined {
  for (const alias of forwardAliases(index, stream, DTYPE_NOISE)) {
    for (const use of index.consumers(alias)) {
      const node = use.node;
      const op = node.opType ?? '';
      if (use.slot === 0 && (op === 'SimplifiedLayerNormalization' || op === 'RMSNormalization')) {
        return {
          kind: op === 'RMSNormalization' ? 'rms-normalization' : 'simplified-layer-norm',
          nodes: [index.nameOf(node)],
          weight: backwardRoot(index, node.input?.[1] ?? '', DTYPE_NOISE).value,
          epsilon: floatAttribute(node, 'epsilon', 1e-5),
          input: stream,
          output: node.output?.[0] ?? '',
        };
      }
      if (op === 'LayerNormalization' || op === 'SkipLayerNormalization') {
        throw unsupported(`node ${index.nameOf(node)} is a ${op} (mean-centred), not an RMSNorm`, {
          node: index.nameOf(node),
        });
      }
      const squares =
        (op === 'Pow' && use.slot === 0 && index.constantValues(node.input?.[1] ?? '')?.[0] === 2) ||
        (op === 'Mul' && node.input?.[0] === alias && node.input?.[1] === alias);
      if (squares) {
        const matched = matchDecomposedRms(index, node, alias, stream);
        if (matched) return matched;
      }
    }
  }
  return undefined;
}

/** The norm half of a `SkipSimplifiedLayerNormalization` (the residual add is described by the caller). */
export function normFromSkip(index: GraphIndex, node: onnx.INodeProto): NormAnatomy {
  const sum = node.output?.[3] || undefined;
  return {
    kind: 'skip-simplified-layer-norm',
    nodes: [index.nameOf(node)],
    weight: backwardRoot(index, node.input?.[2] ?? '', DTYPE_NOISE).value,
    epsilon: floatAttribute(node, 'epsilon', 1e-5),
    input: sum ?? node.input?.[0] ?? '',
    output: node.output?.[0] ?? '',
    skipInputs: [node.input?.[0] ?? '', node.input?.[1] ?? ''],
    ...(sum ? { sum } : {}),
  };
}

/** The single non-noise consumer of `value` with one of `ops`, or undefined. */
function next(index: GraphIndex, value: string, ops: readonly string[]): onnx.INodeProto | undefined {
  for (const alias of forwardAliases(index, value, DTYPE_NOISE)) {
    const found = index.consumers(alias).find((use) => ops.includes(use.node.opType ?? ''));
    if (found) return found.node;
  }
  return undefined;
}

/**
 * HF LlamaRMSNorm as torch exports it (Zhang & Sennrich 2019, arXiv 1910.07467):
 * `w · (x · 1/sqrt(mean(x²) + eps))`, with `x²` as Pow(x, 2) or Mul(x, x), `1/sqrt` as Div(1, ·) or Reciprocal
 * (or a direct Div(x, sqrt)), and Casts anywhere.
 */
function matchDecomposedRms(
  index: GraphIndex,
  square: onnx.INodeProto,
  x: string,
  stream: string,
): NormAnatomy | undefined {
  const nodes = [square];
  const mean = next(index, square.output?.[0] ?? '', ['ReduceMean']);
  if (!mean) return undefined;
  const add = next(index, mean.output?.[0] ?? '', ['Add']);
  const sqrt = add && next(index, add.output?.[0] ?? '', ['Sqrt']);
  if (!add || !sqrt) return undefined;
  const epsilonInput = add.input?.find((input) => !sameValue(index, input, mean.output?.[0] ?? ''));
  const epsilon = index.constantValues(epsilonInput ?? '')?.[0];
  if (epsilon === undefined) return undefined;
  nodes.push(mean, add, sqrt);
  let normalized: onnx.INodeProto | undefined;
  const root = sqrt.output?.[0] ?? '';
  const inverse = next(index, root, ['Reciprocal', 'Div']);
  if (
    inverse?.opType === 'Div' &&
    inverse.input?.[1] === root &&
    sameValue(index, inverse.input?.[0] ?? '', x)
  ) {
    normalized = inverse; // x / sqrt(...)
    nodes.push(inverse);
  } else if (inverse) {
    const reciprocal =
      inverse.opType === 'Reciprocal' || index.constantValues(inverse.input?.[0] ?? '')?.[0] === 1;
    if (!reciprocal) return undefined;
    const mul = next(index, inverse.output?.[0] ?? '', ['Mul']);
    if (!mul?.input?.some((input) => sameValue(index, input, x))) return undefined;
    normalized = mul;
    nodes.push(inverse, mul);
  }
  if (!normalized) return undefined;
  const scale = next(index, normalized.output?.[0] ?? '', ['Mul']);
  if (!scale) return undefined;
  const weightInput = scale.input?.find((input) =>
    index.isInitializer(backwardRoot(index, input, DTYPE_NOISE).value),
  );
  if (!weightInput) return undefined;
  nodes.push(scale);
  return {
    kind: 'rms-decomposed',
    nodes: nodes.map((node) => index.nameOf(node)),
    weight: backwardRoot(index, weightInput, DTYPE_NOISE).value,
    epsilon,
    input: stream,
    output: scale.output?.[0] ?? '',
  };
}
