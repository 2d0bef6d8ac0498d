import type { onnx } from 'onnx-proto';
import type { GraphIndex, Use } from './graph-index';

/**
 * Ops that move an activation without changing what it means (dtype, layout, or a slice of the same numbers:
 * torch exports `hidden[:, -logits_to_keep:, :]` before the LM head as a Slice, and eval-mode Dropout).
 */
const ACTIVATION_NOISE = new Set([
  'Cast',
  'Identity',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Slice',
  'Dropout',
]);
/** Ops allowed between a weight initializer and its projection. */
const WEIGHT_NOISE = new Set(['Cast', 'Identity', 'Transpose']);

/**
 * True for a noise op, or a one-input Concat (an identity: torch.onnx emits one where the export wrapper builds
 * the cache object from the flat `past_key_values.*` tensors).
 */
function isNoise(node: onnx.INodeProto, noise: ReadonlySet<string>): boolean {
  const op = node.opType ?? '';
  return noise.has(op) || (op === 'Concat' && (node.input?.length ?? 0) === 1);
}

/** `value` and every value it flows into through noise ops (input slot 0 only), breadth first. */
export function forwardAliases(
  index: GraphIndex,
  value: string,
  noise: ReadonlySet<string> = ACTIVATION_NOISE,
): string[] {
  const seen = [value];
  for (let i = 0; i < seen.length; i++) {
    for (const use of index.consumers(seen[i])) {
      if (use.slot === 0 && isNoise(use.node, noise)) {
        const output = use.node.output?.[0];
        if (output && !seen.includes(output)) seen.push(output);
      }
    }
  }
  return seen;
}

/** Uses of `value` or of its forward aliases by nodes that are not noise. */
export function usesThroughNoise(index: GraphIndex, value: string): Use[] {
  const result: Use[] = [];
  for (const alias of forwardAliases(index, value)) {
    for (const use of index.consumers(alias)) {
      if (!(use.slot === 0 && isNoise(use.node, ACTIVATION_NOISE))) result.push(use);
    }
  }
  return result;
}

/** Follows `value` back through noise ops (slot 0) to its origin; `path` lists the noise nodes, origin first. */
export function backwardRoot(
  index: GraphIndex,
  value: string,
  noise: ReadonlySet<string> = ACTIVATION_NOISE,
): { value: string; path: onnx.INodeProto[] } {
  const path: onnx.INodeProto[] = [];
  let current = value;
  for (;;) {
    const node = index.producer(current);
    if (!node || !isNoise(node, noise) || !node.input?.[0]) break;
    path.unshift(node);
    current = node.input[0];
  }
  return { value: current, path };
}

/** The weight behind a projection's right operand: initializer name and the Transpose/Cast nodes on the way. */
export function weightRoot(index: GraphIndex, value: string): { value: string; path: onnx.INodeProto[] } {
  return backwardRoot(index, value, WEIGHT_NOISE);
}

/** True when two value names carry the same tensor up to noise ops. */
export function sameValue(index: GraphIndex, a: string, b: string): boolean {
  return backwardRoot(index, a).value === backwardRoot(index, b).value;
}

/** Input slots that carry data (the others are shapes, indices, axes, caches). */
const DATA_SLOTS: Record<string, readonly number[]> = {
  Reshape: [0],
  Expand: [0],
  Slice: [0],
  Unsqueeze: [0],
  Squeeze: [0],
  Tile: [0],
  Gather: [0],
  Split: [0],
  Pad: [0],
  RotaryEmbedding: [0],
  Dropout: [0],
};

/** Ops the attention tracer walks through. */
const PASS_THROUGH = new Set([
  'Reshape',
  'Transpose',
  'Cast',
  'Identity',
  'Unsqueeze',
  'Squeeze',
  'Flatten',
  'Concat',
  'Slice',
  'Split',
  'Neg',
  'Mul',
  'Add',
  'Sub',
  'Div',
  'Expand',
  'Tile',
  'Where',
  'Gather',
  'RotaryEmbedding',
  'Dropout',
]);
/** Ops the tracer stops at and reports. */
const STOPS = new Set([
  'MatMul',
  'Gemm',
  'MatMulNBits',
  'Softmax',
  'GroupQueryAttention',
  'MultiHeadAttention',
]);
/** Metadata ops: their outputs are shapes, not data, so they are not followed. */
const METADATA = new Set(['Shape', 'Size']);

export interface Reach {
  /** Stop nodes reached and the slot the traced data entered through. */
  arrivals: Use[];
  /** Pass-through nodes visited. */
  visited: onnx.INodeProto[];
  /** Nodes of ops the tracer does not know (not followed). */
  unknown: onnx.INodeProto[];
}

/** Follows data forward from `value` through pass-through ops, stopping at MatMul/Softmax/attention ops. */
export function traceForward(index: GraphIndex, value: string): Reach {
  const arrivals: Use[] = [];
  const visited: onnx.INodeProto[] = [];
  const unknown: onnx.INodeProto[] = [];
  const queue = [value];
  const seenValues = new Set(queue);
  const seenNodes = new Set<onnx.INodeProto>();
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const use of index.consumers(current)) {
      const op = use.node.opType ?? '';
      if (METADATA.has(op)) continue;
      const dataSlots = DATA_SLOTS[op];
      if (dataSlots && !dataSlots.includes(use.slot)) continue;
      if (STOPS.has(op)) {
        if (!arrivals.some((a) => a.node === use.node && a.slot === use.slot)) arrivals.push(use);
        continue;
      }
      if (seenNodes.has(use.node)) continue;
      seenNodes.add(use.node);
      if (!PASS_THROUGH.has(op)) {
        unknown.push(use.node);
        continue;
      }
      visited.push(use.node);
      for (const output of use.node.output ?? []) {
        if (output && !seenValues.has(output)) {
          seenValues.add(output);
          queue.push(output);
        }
      }
    }
  }
  return { arrivals, visited, unknown };
}
