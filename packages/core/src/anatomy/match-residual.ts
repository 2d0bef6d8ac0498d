import type { onnx } from 'onnx-proto';
import { sameValue, usesThroughNoise } from './dataflow';
import { type GraphIndex, unsupported } from './graph-index';
import { findNormAt, normFromSkip } from './match-norm';
import type { NormAnatomy } from './types';

/** A residual add: the node, the sum it exposes, and the norm that reads the new stream. */
export interface ResidualJoin {
  node: onnx.INodeProto;
  addends: [string, string];
  sum: string | undefined;
  /** The next RMSNorm: the skip norm itself, or the norm that reads the Add's output (undefined if none). */
  nextNorm: NormAnatomy | undefined;
}

/**
 * Finds where a branch output (o_proj or down_proj) is added back to the residual `stream`: a plain `Add`, or
 * a `SkipSimplifiedLayerNormalization` that adds and normalises in one node (its output 3 is the sum).
 */
export function findResidualJoin(
  index: GraphIndex,
  stream: string | undefined,
  branch: string,
  branchNode: string,
): ResidualJoin {
  const isStream = (value: string | undefined) =>
    stream !== undefined && value !== undefined && sameValue(index, value, stream);
  for (const use of usesThroughNoise(index, branch)) {
    const node = use.node;
    if (node.opType === 'Add' && use.slot <= 1 && isStream(node.input?.[1 - use.slot])) {
      const sum = node.output?.[0] ?? '';
      return { node, addends: [stream as string, branch], sum, nextNorm: findNormAt(index, sum) };
    }
    if (
      node.opType === 'SkipSimplifiedLayerNormalization' &&
      use.slot <= 1 &&
      isStream(node.input?.[1 - use.slot])
    ) {
      const norm = normFromSkip(index, node);
      return { node, addends: [stream as string, branch], sum: norm.sum, nextNorm: norm };
    }
    if (node.opType === 'SkipLayerNormalization') {
      throw unsupported(
        `node ${index.nameOf(node)} is a SkipLayerNormalization (mean-centred), not an RMSNorm`,
        {
          node: index.nameOf(node),
        },
      );
    }
  }
  throw unsupported(
    `no residual Add or SkipSimplifiedLayerNormalization joins the output of ${branchNode} with the residual stream${
      stream ? ` ${stream}` : ''
    }`,
    { node: branchNode, value: branch },
  );
}
