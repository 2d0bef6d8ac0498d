/**
 * 4-bit token embedding: the `Gather` on the vocab × d table becomes ORT's `com.microsoft.GatherBlockQuantized`
 * (contrib op, version 1) over RTN codes with the MatMulNBits conventions (uint8 data, two 4-bit codes per byte,
 * low nibble first; float32 scales per block of `block_size` channels along d; no zero_points input = the
 * default zero point 8, i.e. symmetric weights): row v dequantizes to (code − 8)·scale, exactly
 * `dequantizeMatMulNBits` of the same packing. QuaRot/DartQuant keep the embedding in 16 bit; this is a size
 * option for deployment (brief §9.1), off by default.
 */
import { createTensor, type DecoderAnatomy, importOpset, type OnnxModel } from '@x/core';
import { makeNode, uniqueName, valueNames } from '../graph/onnx-nodes';
import { packMatMulNBits } from '../quant/matmul-nbits';
import { quantizeRtn } from '../quant/rtn';
import { effectiveGroupSize } from './quantize-projections';

export interface EmbeddingQuantReport {
  node: string;
  bits: 4;
  blockSize: number;
  vocabSize: number;
  hiddenSize: number;
  /** ‖E − Ê‖_F / ‖E‖_F. */
  relativeError: number;
}

/**
 * Replaces the embedding Gather in place. Returns undefined with a reason when it cannot: the table is read by
 * another node too (a tied head that was not untied), the node is not a plain Gather, or no block size fits d.
 */
export function quantizeEmbedding(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  options: { groupSize: number; clip: number | 'mse' },
): { report: EmbeddingQuantReport } | { skipped: string } {
  const { embedding } = anatomy;
  const nodes = model.graph().node ?? [];
  const index = nodes.findIndex((n) => n.name === embedding.node);
  const node = nodes[index];
  if (node?.opType !== 'Gather' || node.input?.[0] !== embedding.weight)
    return { skipped: `embedding ${embedding.node} is not a Gather on ${embedding.weight}` };
  const readers = nodes.filter((n) => (n.input ?? []).includes(embedding.weight));
  if (readers.length > 1)
    return { skipped: `embedding table ${embedding.weight} is also read by ${readers[1].name} (tied head?)` };
  const d = embedding.hiddenSize;
  const blockSize = effectiveGroupSize(options.groupSize === 0 ? 128 : options.groupSize, d);
  if (blockSize === 0) return { skipped: `no block size >= 16 divides the hidden size ${d}` };
  const table = model.getInitializer(embedding.weight);
  if (table.dtype !== 'float32') return { skipped: `embedding table is ${table.dtype}, not float32` };
  const vocab = embedding.vocabSize;
  const weight = { rows: vocab, cols: d, data: table.data as Float32Array };
  const { quantized } = quantizeRtn(weight, {
    bits: 4,
    symmetric: true,
    groupSize: blockSize,
    clip: options.clip,
  });
  const packed = packMatMulNBits(quantized, { blockSize });
  let err = 0;
  let norm = 0;
  const groups = d / blockSize;
  for (let i = 0; i < quantized.codes.length; i++) {
    const g = Math.floor(i / d) * groups + Math.floor((i % d) / blockSize);
    const w = weight.data[i];
    err += (Math.fround((quantized.codes[i] - 8) * quantized.scales[g]) - w) ** 2;
    norm += w * w;
  }
  const taken = valueNames(model);
  const data = uniqueName(taken, `${embedding.weight}.q4`);
  model.setInitializer(data, createTensor('uint8', [vocab, d / 2], packed.b));
  const scales = uniqueName(taken, `${embedding.weight}.scales`);
  model.setInitializer(scales, createTensor('float32', [vocab, groups], packed.scales));
  importOpset(model, 'com.microsoft', 1);
  nodes[index] = makeNode('GatherBlockQuantized', [data, node.input[1] ?? '', scales], node.output ?? [], {
    name: `${embedding.node}_Q4`,
    domain: 'com.microsoft',
    attributes: {
      gather_axis: { int: 0 },
      quantize_axis: { int: 1 },
      block_size: { int: blockSize },
      bits: { int: 4 },
    },
  });
  return {
    report: {
      node: embedding.node,
      bits: 4,
      blockSize,
      vocabSize: vocab,
      hiddenSize: d,
      relativeError: norm === 0 ? 0 : Math.sqrt(err / norm),
    },
  };
}
