/**
 * ONNX nodes simulating per-token activation quantization (brief §7.5 (c): "fake-quant subgraphs x →
 * Round/Clip/Mul using per-token scales (ReduceMax/ReduceMin over the last axis)"), the graph twin of
 * `fakeQuantizeActivations` (QuaRot `ActQuantizer`, asymmetric):
 *
 *   hi = max(max x, 0)·c,  lo = min(min x, 0)·c   (all-zero rows: [lo, hi] = [−1, 1])
 *   s = (hi − lo)/(2^b − 1),  z = round(−lo/s),  x̂ = s·(clip(round(x/s) + z, 0, 2^b − 1) − z)
 *
 * ONNX `Round` rounds half to even, like the twin. It is an evaluation device (W4A4 accuracy): the math runs
 * in float32 and saves no time.
 */
import type { NodeProto, OnnxModel } from '@x/core';
import {
  ensureFloatInitializer,
  ensureInt64Initializer,
  makeNode,
  uniqueName,
  valueNames,
} from './onnx-nodes';

export interface ActivationFakeQuantNodes {
  nodes: NodeProto[];
  output: string;
}

function opsetOf(model: OnnxModel): number {
  const entry = (model.proto.opsetImport ?? []).find(
    (o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx',
  );
  return Number(entry?.version ?? 17);
}

/** Builds (not inserts) the fake-quant nodes for `input`, last-axis per-token, asymmetric. */
export function emitActivationFakeQuant(
  model: OnnxModel,
  input: string,
  options: { bits: number; clipRatio: number; scope: string },
): ActivationFakeQuantNodes {
  const { bits, clipRatio, scope } = options;
  const maxq = 2 ** bits - 1;
  const taken = valueNames(model);
  const scalar = (name: string, value: number) =>
    ensureFloatInitializer(model, name, [], Float32Array.of(value));
  const zero = scalar('fake_quant.zero', 0);
  const clip = scalar(`fake_quant.clip_${clipRatio}`, clipRatio);
  const maxCode = scalar(`fake_quant.maxq_${maxq}`, maxq);
  const minusOne = scalar('fake_quant.minus_one', -1);
  const two = scalar('fake_quant.two', 2);
  const nodes: NodeProto[] = [];
  const op = (
    type: string,
    inputs: string[],
    tag: string,
    attributes?: Record<string, { int: number } | { ints: number[] }>,
  ) => {
    const output = uniqueName(taken, `${scope}/${tag}_output_0`);
    nodes.push(makeNode(type, inputs, [output], { name: uniqueName(taken, `${scope}/${tag}`), attributes }));
    return output;
  };
  const reduce = (type: string, tag: string) =>
    opsetOf(model) >= 18
      ? op(type, [input, ensureInt64Initializer(model, 'fake_quant.last_axis', [-1])], tag, {
          keepdims: { int: 1 },
        })
      : op(type, [input], tag, { axes: { ints: [-1] }, keepdims: { int: 1 } });
  const hi = op('Mul', [op('Max', [reduce('ReduceMax', 'reduce_max'), zero], 'max0'), clip], 'hi');
  const lo = op('Mul', [op('Min', [reduce('ReduceMin', 'reduce_min'), zero], 'min0'), clip], 'lo');
  const range = op('Sub', [hi, lo], 'range');
  const empty = op('Equal', [range, zero], 'empty');
  const safeLo = op('Where', [empty, minusOne, lo], 'safe_lo');
  const safeRange = op('Where', [empty, two, range], 'safe_range');
  const scale = op('Div', [safeRange, maxCode], 'scale');
  const zeroPoint = op(
    'Round',
    [op('Div', [op('Neg', [safeLo], 'neg_lo'), scale], 'zero_ratio')],
    'zero_point',
  );
  const codes = op(
    'Clip',
    [
      op('Add', [op('Round', [op('Div', [input, scale], 'ratio')], 'round'), zeroPoint], 'shift'),
      zero,
      maxCode,
    ],
    'codes',
  );
  const output = op('Mul', [op('Sub', [codes, zeroPoint], 'centered'), scale], 'dequantized');
  return { nodes, output };
}
