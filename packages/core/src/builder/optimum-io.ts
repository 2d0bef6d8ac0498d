import type { onnx } from 'onnx-proto';
import type { DecoderConfig } from './decoder-config';
import { ElementType, valueInfo } from './graph-builder';

/** Optimum's dynamic dim names for decoder-only exports. */
export const DimNames = {
  batch: 'batch_size',
  sequence: 'sequence_length',
  past: 'past_sequence_length',
  total: 'past_sequence_length + 1',
} as const;

/** Optimum / transformers.js I/O names of a decoder-only model. */
export const OptimumNames = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  positionIds: 'position_ids',
  logits: 'logits',
  pastKey: (layer: number) => `past_key_values.${layer}.key`,
  pastValue: (layer: number) => `past_key_values.${layer}.value`,
  presentKey: (layer: number) => `present.${layer}.key`,
  presentValue: (layer: number) => `present.${layer}.value`,
} as const;

/** Graph inputs and outputs with Optimum names, types and dims. */
export function createOptimumIo(config: DecoderConfig): {
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
} {
  const { batch, sequence, past, total } = DimNames;
  const inputs = [
    valueInfo(OptimumNames.inputIds, ElementType.int64, [batch, sequence]),
    valueInfo(OptimumNames.attentionMask, ElementType.int64, [batch, total]),
    valueInfo(OptimumNames.positionIds, ElementType.int64, [batch, sequence]),
  ];
  const outputs = [valueInfo(OptimumNames.logits, ElementType.float, [batch, sequence, config.vocabSize])];
  for (let layer = 0; layer < config.numLayers; layer++) {
    const kv = [batch, config.numKvHeads, past, config.headDim];
    const present = [batch, config.numKvHeads, total, config.headDim];
    inputs.push(valueInfo(OptimumNames.pastKey(layer), ElementType.float, kv));
    inputs.push(valueInfo(OptimumNames.pastValue(layer), ElementType.float, kv));
    outputs.push(valueInfo(OptimumNames.presentKey(layer), ElementType.float, present));
    outputs.push(valueInfo(OptimumNames.presentValue(layer), ElementType.float, present));
  }
  return { inputs, outputs };
}
