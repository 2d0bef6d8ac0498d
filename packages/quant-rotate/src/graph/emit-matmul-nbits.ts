/**
 * A `com.microsoft.MatMulNBits` node (ORT contrib op, since version 1; brief §9.1) with its initializers
 * from packed weights: inputs A, B uint8 [N, k_blocks, blob], scales float32 [N·k_blocks], optional
 * zero_points uint8 [N·ceil(k_blocks·bits/8)]; attributes K, N, bits, block_size, accuracy_level.
 */
import { createTensor, importOpset, type NodeProto, type OnnxModel } from '@x/core';
import type { MatMulNBitsWeights } from '../quant/matmul-nbits';
import { makeNode, uniqueName, valueNames } from './onnx-nodes';

export interface MatMulNBitsNodeOptions {
  /** Node name. */
  name: string;
  /** Prefix of the new initializer names. */
  weightName: string;
  input: string;
  output: string;
  /**
   * ORT `accuracy_level`: 0 = unset (fp32 compute), 4 = int8 activations per block inside ORT (W4A8).
   * @defaultValue 0
   */
  accuracyLevel?: number;
}

/** Adds B / scales / zero_points initializers and returns the node (not inserted). */
export function emitMatMulNBits(
  model: OnnxModel,
  packed: MatMulNBitsWeights,
  options: MatMulNBitsNodeOptions,
): NodeProto {
  const taken = valueNames(model);
  const b = uniqueName(taken, `${options.weightName}.q${packed.bits}`);
  model.setInitializer(b, createTensor('uint8', [packed.n, packed.kBlocks, packed.blobSize], packed.b));
  const scales = uniqueName(taken, `${options.weightName}.scales`);
  model.setInitializer(scales, createTensor('float32', [packed.n * packed.kBlocks], packed.scales));
  const inputs = [options.input, b, scales];
  if (packed.zeroPoints !== undefined) {
    const zeros = uniqueName(taken, `${options.weightName}.zero_points`);
    model.setInitializer(zeros, createTensor('uint8', [packed.zeroPoints.length], packed.zeroPoints));
    inputs.push(zeros);
  }
  importOpset(model, 'com.microsoft', 1);
  return makeNode('MatMulNBits', inputs, [options.output], {
    name: options.name,
    domain: 'com.microsoft',
    attributes: {
      K: { int: packed.k },
      N: { int: packed.n },
      bits: { int: packed.bits },
      block_size: { int: packed.blockSize },
      accuracy_level: { int: options.accuracyLevel ?? 0 },
    },
  });
}
