/** Block-by-block capture against a whole-model run (model-level test; fixtures from test/). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { findDecoderAnatomy, loadBackend, type OnnxModel, onnx, readModel } from '@x/core';
import { describe, expect, it } from 'vitest';
import { calibration, decoder } from '../../test/decoder-fixture';
import { maxAbsDiff } from '../../test/helpers';
import { captureBlocks } from './capture-blocks';
import { captureValues } from './capture-values';

const torchExport = resolve(
  import.meta.dirname,
  '../../../core/src/anatomy/__fixtures__/torch-llama-tiny.onnx',
);

const models: [string, () => Promise<OnnxModel>][] = [
  ['builder, decomposed', async () => decoder('decomposed')],
  ['builder, fused GQA rotary', async () => decoder('fused', 'gqa')],
  ['builder, fused RotaryEmbedding', async () => decoder('fused', 'rotary-embedding')],
  // An Identity between input_ids and the Gather: not a plain Gather, so the embedding runs as a subgraph.
  [
    'builder, embedding through a session',
    async () => {
      const model = decoder('decomposed');
      const nodes = model.graph().node ?? [];
      const gather = nodes.find((n) => n.opType === 'Gather' && n.input?.[1] === 'input_ids');
      if (!gather?.input) throw new Error('fixture: no Gather on input_ids');
      gather.input[1] = 'input_ids/identity';
      nodes.unshift(
        onnx.NodeProto.create({
          name: 'input_ids/Identity',
          opType: 'Identity',
          input: ['input_ids'],
          output: ['input_ids/identity'],
        }),
      );
      return model;
    },
  ],
  ...(existsSync(torchExport)
    ? [['torch.onnx export', () => readModel(torchExport)] as [string, () => Promise<OnnxModel>]]
    : []),
];

describe('captureBlocks', () => {
  it.each(models)('gives the same values as a whole-model run (%s)', async (name, load) => {
    const model = await load();
    const anatomy = findDecoderAnatomy(model.proto);
    const sequences = calibration.sequences.map((ids) => ids.map((id) => id % anatomy.config.vocabSize));
    const backend = await loadBackend('node');
    const valuesOf = (l: number) => {
      const layer = anatomy.layers[l];
      return [layer.q.input, layer.up.input, layer.o.input];
    };
    const whole: Map<string, Float32Array>[] = [];
    await captureValues(
      model,
      anatomy,
      backend,
      sequences,
      anatomy.layers.flatMap((_, l) => valuesOf(l)),
      (captured) => whole.push(new Map([...captured].map(([name, m]) => [name, Float32Array.from(m.data)]))),
      { phase: 'capture' },
    );
    const layersSeen: number[] = [];
    let sessions = 0;
    const counting = {
      ...backend,
      createSession: (...args: Parameters<typeof backend.createSession>) => {
        sessions++;
        return backend.createSession(...args);
      },
    };
    await captureBlocks(
      model,
      anatomy,
      counting,
      sequences,
      (layer) => valuesOf(layer.index),
      (l, values) => {
        layersSeen.push(l);
        for (const name of valuesOf(l)) {
          const perSequence = values.get(name)!;
          expect(perSequence).toHaveLength(sequences.length);
          perSequence.forEach((m, s) => {
            expect(m.cols * m.rows).toBe(whole[s].get(name)!.length);
            expect(maxAbsDiff(m.data, whole[s].get(name)!)).toBeLessThan(1e-5);
          });
        }
      },
      { phase: 'capture' },
    );
    expect(layersSeen).toEqual(anatomy.layers.map((_, l) => l));
    // one session per block, plus one for the embedding only when it is not a plain Gather
    expect(sessions).toBe(anatomy.layers.length + (name.includes('through a session') ? 1 : 0));
  });
});
