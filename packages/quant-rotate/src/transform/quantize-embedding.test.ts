/** The 4-bit embedding through ORT's GatherBlockQuantized (model-level test; fixtures from test/). */
import { addGraphOutputs, findDecoderAnatomy } from '@x/core';
import { describe, expect, it } from 'vitest';
import { absMax, config, decoder, ids, logits } from '../../test/decoder-fixture';
import { backends, maxAbsDiff, runModel } from '../../test/helpers';
import { createDecoderFeeds } from '../calibrate/decoder-feeds';
import { quantizeModel } from '../pipeline/quantize-model';
import { dequantizeMatMulNBits } from '../quant/matmul-nbits';

describe.each(backends)('quantizeEmbedding on onnxruntime-%s', (backend) => {
  it('gathers exactly the dequantized 4-bit rows and keeps the model close to float', async () => {
    const original = decoder('decomposed');
    const anatomy = findDecoderAnatomy(original.proto);
    const { model, report } = await quantizeModel(original, {
      weightBits: 4,
      groupSize: 16,
      quantizeEmbedding: true,
      quantizeLmHead: true,
    });
    expect(report.embedding).toMatchObject({ bits: 4, blockSize: 16, vocabSize: config.vocabSize });
    expect(report.embedding!.relativeError).toBeGreaterThan(0);
    expect(report.embedding!.relativeError).toBeLessThan(0.2);
    const ops = (model.graph().node ?? []).map((n) => n.opType);
    expect(ops).toContain('GatherBlockQuantized');
    expect(model.listInitializers().some((i) => i.name === anatomy.embedding.weight)).toBe(false);

    // ORT's rows = dequantizeMatMulNBits of the same packing (the op's uint8 convention).
    const node = (model.graph().node ?? []).find((n) => n.opType === 'GatherBlockQuantized')!;
    const d = config.hiddenSize;
    const packed = {
      n: config.vocabSize,
      k: d,
      bits: 4,
      blockSize: 16,
      kBlocks: d / 16,
      blobSize: 8,
      b: model.getInitializer(node.input![0]).data as Uint8Array,
      scales: model.getInitializer(node.input![2]).data as Float32Array,
      zeroPoints: undefined,
    };
    const table = dequantizeMatMulNBits(packed).data;
    const probe = model.clone();
    addGraphOutputs(probe, [node.output![0]]);
    const rows = (await runModel(backend, probe, createDecoderFeeds(anatomy, ids)))[node.output![0]]
      .data as Float32Array;
    const expected = new Float32Array(ids.length * d);
    ids.forEach((id, t) => {
      expected.set(table.subarray(id * d, (id + 1) * d), t * d);
    });
    expect(maxAbsDiff(rows, expected)).toBeLessThan(1e-6);

    const reference = (await logits(backend, original)).data as Float32Array;
    const out = (await logits(backend, model)).data as Float32Array;
    expect(out.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(out, reference) / absMax(reference)).toBeLessThan(0.5);
  });
});

describe('quantizeEmbedding refusals', () => {
  it('leaves the table in float with a warning when it is not 4-bit or still tied', async () => {
    const eight = await quantizeModel(decoder('decomposed'), { weightBits: 8, quantizeEmbedding: true });
    expect(eight.report.embedding).toBeUndefined();
    expect(eight.report.warnings.join('\n')).toMatch(/needs weightBits 4/);
    // rotate 'none' keeps the head tied to the table
    const tied = await quantizeModel(decoder('decomposed'), {
      rotate: 'none',
      weightBits: 4,
      groupSize: 16,
      quantizeEmbedding: true,
    });
    expect(tied.report.embedding).toBeUndefined();
    expect(tied.report.warnings.join('\n')).toMatch(/also read by/);
  });
});
