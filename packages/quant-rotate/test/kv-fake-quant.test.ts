/**
 * `kvBits`: the K/V fake-quant nodes (after RoPE and R3 on the key, at the v_proj output) equal the
 * `fakeQuantizeKv` TS twin on both backends, and the model with them stays close to the float one.
 */
import { addGraphOutputs, findDecoderAnatomy } from '@x/core';
import { describe, expect, it } from 'vitest';
import { createDecoderFeeds } from '../src/calibrate/decoder-feeds';
import { fakeQuantizeKv, quantizeModel } from '../src/index';
import { absMax, config, decoder, ids, logits } from './decoder-fixture';
import { backends, maxAbsDiff, runModel } from './helpers';

describe.each(backends)('kvBits on onnxruntime-%s', (backend) => {
  it.each([
    ['decomposed', undefined, 'hadamard'],
    ['fused', 'rotary-embedding', 'none'],
  ] as const)('K and V nodes equal fakeQuantizeKv (%s %s, rotate %s)', async (form, rotary, rotate) => {
    const original = decoder(form, rotary);
    const { model, report } = await quantizeModel(original, { rotate, weightBits: 16, kvBits: 4 });
    expect(report.rotation.kv).toEqual({ bits: 4, keySkippedLayers: [] });
    const nodes = model.graph().node ?? [];
    const pairs: [string, string, string][] = [];
    for (let l = 0; l < config.numLayers; l++) {
      for (const which of ['k', 'v']) {
        const scope = `/model/layers.${l}/self_attn/kv_quant_${which}`;
        const flat = nodes.find((n) => n.name === `${scope}/flat`);
        const restored = nodes.find((n) => n.name === `${scope}/restored`);
        expect(flat && restored).toBeTruthy();
        pairs.push([which, flat!.input![0], restored!.output![0]]);
      }
    }
    // The key node reads R3's output when R3 is on (the rotation comes before the quantizer).
    if (rotate === 'hadamard') expect(pairs[0][1]).toContain('r3_k');
    const probe = model.clone();
    addGraphOutputs(
      probe,
      pairs.flatMap(([, input, output]) => [input, output]),
    );
    const outputs = await runModel(
      backend,
      probe,
      createDecoderFeeds(findDecoderAnatomy(original.proto), ids),
    );
    for (const [, input, output] of pairs) {
      const x = outputs[input].data as Float32Array;
      const rows = x.length / config.headDim;
      const twin = fakeQuantizeKv({ rows, cols: config.headDim, data: x }, { headDim: config.headDim });
      const graph = outputs[output].data as Float32Array;
      expect(outputs[output].dims).toEqual(outputs[input].dims);
      expect(maxAbsDiff(graph, twin.data)).toBeLessThan(1e-5);
      expect(maxAbsDiff(graph, x)).toBeGreaterThan(1e-3); // it really quantized
    }
  });

  it('KV8 stays close to float, KV4 drifts more, GQA rotary skips K with a warning', async () => {
    const original = decoder('decomposed');
    const reference = (await logits(backend, original)).data as Float32Array;
    const error = async (kvBits: 4 | 8) => {
      const { model } = await quantizeModel(original, { rotate: 'hadamard', weightBits: 16, kvBits });
      return maxAbsDiff((await logits(backend, model)).data as Float32Array, reference);
    };
    const e8 = await error(8);
    const e4 = await error(4);
    expect(e8).toBeLessThan(e4);
    expect(e4).toBeLessThan(0.5 * absMax(reference));
    const gqa = await quantizeModel(decoder('fused', 'gqa'), { rotate: 'none', weightBits: 16, kvBits: 4 });
    expect(gqa.report.rotation.kv.keySkippedLayers).toEqual([0, 1]);
    expect(gqa.report.warnings.some((w) => w.startsWith('K quantization skipped'))).toBe(true);
  });
});
