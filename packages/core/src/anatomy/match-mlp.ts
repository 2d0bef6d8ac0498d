import type { onnx } from 'onnx-proto';
import { sameValue, traceForward, usesThroughNoise } from './dataflow';
import { type GraphIndex, unsupported } from './graph-index';
import { describeProjection, isProjection, type MatchedProjection } from './match-projection';
import type { MlpActivation } from './types';

export interface MatchedMlp {
  gate: MatchedProjection;
  up: MatchedProjection;
  down: MatchedProjection;
  activation: MlpActivation;
}

/**
 * SwiGLU MLP (Shazeer 2020, arXiv 2002.05202) from the two projections a norm feeds: the gate is the one whose
 * output goes through `x · sigmoid(x)` (SiLU), `silu(gate) · up` then feeds the down projection.
 */
export function matchMlp(index: GraphIndex, projections: onnx.INodeProto[], layer: number): MatchedMlp {
  const matched = projections.map((node) => describeProjection(index, node));
  let gate: MatchedProjection | undefined;
  let silu: { sigmoid: onnx.INodeProto; mul: onnx.INodeProto } | undefined;
  for (const candidate of matched) {
    for (const use of usesThroughNoise(index, candidate.flowOutput)) {
      if (use.node.opType !== 'Sigmoid') continue;
      const sigmoidOut = use.node.output?.[0] ?? '';
      const mul = usesThroughNoise(index, sigmoidOut).find(
        (u) =>
          u.node.opType === 'Mul' &&
          u.node.input?.some((input) => sameValue(index, input, candidate.flowOutput)),
      );
      if (mul) {
        gate = candidate;
        silu = { sigmoid: use.node, mul: mul.node };
      }
    }
  }
  if (!gate || !silu) {
    const first = matched[0];
    const consumer = usesThroughNoise(index, first.flowOutput)[0]?.node;
    throw unsupported(
      `layer ${layer}: MLP projections ${matched.map((m) => m.anatomy.node).join(', ')} have no SiLU (x·sigmoid(x)) gate${
        consumer ? `; ${first.anatomy.node} feeds ${consumer.opType} node ${index.nameOf(consumer)}` : ''
      }`,
      { layer, node: first.anatomy.node },
    );
  }
  const up = matched.find((m) => m !== gate) as MatchedProjection;
  const siluOut = silu.mul.output?.[0] ?? '';
  const product = usesThroughNoise(index, siluOut).find(
    (u) => u.node.opType === 'Mul' && u.node.input?.some((input) => sameValue(index, input, up.flowOutput)),
  );
  if (!product) {
    throw unsupported(
      `layer ${layer}: SiLU node ${index.nameOf(silu.mul)} is not multiplied with up ${up.anatomy.node}`,
      {
        layer,
        node: index.nameOf(silu.mul),
      },
    );
  }
  const downs = traceForward(index, product.node.output?.[0] ?? '').arrivals.filter(
    (a) => a.slot === 0 && isProjection(index, a.node),
  );
  if (downs.length !== 1) {
    throw unsupported(
      `layer ${layer}: expected one down projection after ${index.nameOf(product.node)}, found ${downs.length}`,
      {
        layer,
        node: index.nameOf(product.node),
      },
    );
  }
  return {
    gate,
    up,
    down: describeProjection(index, downs[0].node),
    activation: {
      kind: 'silu',
      nodes: [index.nameOf(silu.sigmoid), index.nameOf(silu.mul), index.nameOf(product.node)],
    },
  };
}
