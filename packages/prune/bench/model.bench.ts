// pruneModel end to end on a seeded builder decoder, beside ORT's dense forward of the calibration set.
import {
  buildDecoderModel,
  createDecoderWeights,
  createRng,
  createTensor,
  type DecoderConfig,
  loadBackend,
  onnx,
  parseModel,
  type Tensor,
} from '@x/core';
import { pruneModel } from '../src/index';
import { emit, medians } from './timing';

export async function benchModel(): Promise<void> {
  const config: DecoderConfig = {
    vocabSize: 512,
    hiddenSize: 256,
    numLayers: 4,
    numHeads: 8,
    numKvHeads: 2,
    headDim: 32,
    intermediateSize: 768,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
  };
  const samples = 16;
  const seqlen = 128;
  const rng = createRng(0);
  const calibration = Array.from({ length: samples }, () =>
    Array.from({ length: seqlen }, () => rng.int(config.vocabSize)),
  );
  for (const form of ['decomposed', 'fused'] as const) {
    const model = parseModel(
      onnx.ModelProto.encode(
        buildDecoderModel(config, createDecoderWeights(config, { seed: 1 }), { form }),
      ).finish(),
    );
    const backend = await loadBackend('node');
    const session = await backend.createSession(model);
    const feeds = calibration.map((tokens) => {
      const feed: Record<string, Tensor> = {
        input_ids: createTensor('int64', [1, seqlen], BigInt64Array.from(tokens, BigInt)),
        attention_mask: createTensor('int64', [1, seqlen], new BigInt64Array(seqlen).fill(1n)),
        position_ids: createTensor(
          'int64',
          [1, seqlen],
          BigInt64Array.from(tokens, (_, i) => BigInt(i)),
        ),
      };
      for (let layer = 0; layer < config.numLayers; layer++) {
        for (const kind of ['key', 'value']) {
          feed[`past_key_values.${layer}.${kind}`] = createTensor('float32', [
            1,
            config.numKvHeads,
            0,
            config.headDim,
          ]);
        }
      }
      return feed;
    });
    const { ortDenseForward } = await medians(
      {
        ortDenseForward: async () => {
          for (const feed of feeds) await session.run(feed, ['logits']);
        },
      },
      { warmup: 1, samples: 3 },
    );
    await session.release();
    for (const [label, options] of [
      ['magnitude', { method: 'magnitude', measureError: false }],
      ['wanda', { method: 'wanda', measureError: false }],
      ['wanda+dsnot', { method: 'wanda', dsnot: true, measureError: false }],
      ['sparsegpt', { method: 'sparsegpt', measureError: false }],
      ['wanda+owl', { method: 'wanda', allocation: 'owl', measureError: false }],
    ] as const) {
      const { report } = await pruneModel(model, { ...options, sparsity: 0.5, calibration, backend: 'node' });
      emit({
        bench: 'model',
        form,
        config: `h${config.hiddenSize} L${config.numLayers} i${config.intermediateSize}`,
        calibration: `${samples}x${seqlen}`,
        run: label,
        ms: Number((report.timings.totalSeconds * 1000).toFixed(1)),
        phasesMs: Object.fromEntries(
          Object.entries(report.timings).map(([name, seconds]) => [
            name.replace('Seconds', ''),
            Number((seconds * 1000).toFixed(1)),
          ]),
        ),
        ortDenseForwardMs: ortDenseForward,
        ratioToOrt: Number(((report.timings.totalSeconds * 1000) / ortDenseForward).toFixed(2)),
      });
    }
  }
}
