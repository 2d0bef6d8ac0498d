/** Block-by-block capture against a whole-model run (model-level test; fixtures from test/). */
import { findDecoderAnatomy, loadBackend } from '@x/core';
import { describe, expect, it } from 'vitest';
import { calibration, decoder } from '../../test/decoder-fixture';
import { maxAbsDiff } from '../../test/helpers';
import { captureBlocks } from './capture-blocks';
import { captureValues } from './capture-values';

describe('captureBlocks', () => {
  it.each([
    ['decomposed', undefined],
    ['fused', 'gqa'],
  ] as const)('gives the same values as a whole-model run (%s %s)', async (form, rotary) => {
    const model = decoder(form, rotary);
    const anatomy = findDecoderAnatomy(model.proto);
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
      calibration.sequences,
      anatomy.layers.flatMap((_, l) => valuesOf(l)),
      (captured) => whole.push(new Map([...captured].map(([name, m]) => [name, Float32Array.from(m.data)]))),
      { phase: 'capture' },
    );
    const layersSeen: number[] = [];
    await captureBlocks(
      model,
      anatomy,
      backend,
      calibration.sequences,
      (layer) => valuesOf(layer.index),
      (l, values) => {
        layersSeen.push(l);
        for (const name of valuesOf(l)) {
          const perSequence = values.get(name)!;
          expect(perSequence).toHaveLength(calibration.sequences.length);
          perSequence.forEach((m, s) => {
            expect(m.cols * m.rows).toBe(whole[s].get(name)!.length);
            expect(maxAbsDiff(m.data, whole[s].get(name)!)).toBeLessThan(1e-5);
          });
        }
      },
      { phase: 'capture' },
    );
    expect(layersSeen).toEqual(anatomy.layers.map((_, l) => l));
  });
});
