/**
 * `quantizeModel` on decoders built with core's builder (random seeded weights), run on onnxruntime-node and
 * onnxruntime-web: rotation + folding without quantization keeps the logits (brief §12.1), and MatMulNBits
 * models run and stay close.
 */
import { describe, expect, it } from 'vitest';
import { quantizeModel } from '../src/index';
import { absMax, config, decoder, logits } from './decoder-fixture';
import { backends, maxAbsDiff } from './helpers';

describe.each(backends)('quantizeModel on onnxruntime-%s', (backend) => {
  it.each([
    ['decomposed', undefined],
    ['fused', 'rotary-embedding'],
    ['fused', 'gqa'],
  ] as const)('rotation + folding without quantization keeps the logits (%s %s)', async (form, rotary) => {
    const original = decoder(form, rotary);
    const reference = await logits(backend, original);
    for (const rotate of ['hadamard', 'orthogonal'] as const) {
      const { model, report } = await quantizeModel(original, { rotate, weightBits: 16 });
      const rotated = await logits(backend, model);
      expect(maxAbsDiff(rotated.data as Float32Array, reference.data as Float32Array)).toBeLessThan(1e-3);
      expect(report.rotation.untied).toBe(true);
      expect(report.rotation.r4.applied).toBe(true);
      expect(report.rotation.r3.skippedLayers).toEqual(rotary === 'gqa' ? [0, 1] : []);
      const ops = (model.graph().node ?? []).map((n) => n.opType);
      // two online Hadamards per layer for R3 (q, k) unless skipped, one for R4, each with one outer MatMul
      expect(ops.filter((op) => op === 'Shape').length).toBeGreaterThanOrEqual(config.numLayers);
    }
    expect(absMax(reference.data as Float32Array)).toBeGreaterThan(0.1); // a real signal, not zeros
    // the input model was not modified
    expect(
      maxAbsDiff((await logits(backend, original)).data as Float32Array, reference.data as Float32Array),
    ).toBe(0);
  });

  it('writes MatMulNBits weights: W8 stays close to the float logits, W4 drifts more, both run', async () => {
    const original = decoder('decomposed');
    const reference = (await logits(backend, original)).data as Float32Array;
    const scale = absMax(reference);
    const errors: number[] = [];
    for (const weightBits of [8, 4] as const) {
      const { model, report } = await quantizeModel(original, { weightBits, groupSize: 16 });
      const ops = (model.graph().node ?? []).map((n) => n.opType);
      expect(ops.filter((op) => op === 'MatMulNBits')).toHaveLength(7 * config.numLayers);
      expect(ops.filter((op) => op === 'MatMul').length).toBeGreaterThan(0); // attention, Hadamards, LM head
      expect(report.projections).toHaveLength(7 * config.numLayers);
      expect(report.initializerBytes.after).toBeLessThan(report.initializerBytes.before);
      errors.push(maxAbsDiff((await logits(backend, model)).data as Float32Array, reference) / scale);
    }
    expect(errors[0]).toBeLessThan(0.02);
    expect(errors[1]).toBeGreaterThan(errors[0]);
    expect(errors[1]).toBeGreaterThan(1e-3); // quantization is visible: the invariance test above could fail
  });
});
