/** `quantizeModel` with simulated W4A4, GPTQ and DartQuant calibration, and its typed errors. */
import type { OnnxModel } from '@x/core';
import { describe, expect, it } from 'vitest';
import { isQuantError, quantizeModel } from '../src/index';
import { absMax, calibration, config, decoder, logits } from './decoder-fixture';
import { backends, maxAbsDiff } from './helpers';

describe('simulated W4A4', () => {
  it.each(backends)(
    'inserts per-token fake quant before every quantized linear group and runs (%s)',
    async (backend) => {
      const original = decoder('decomposed');
      const reference = (await logits(backend, original)).data as Float32Array;
      const { model, report } = await quantizeModel(original, {
        weightBits: 4,
        groupSize: 16,
        activationBits: 4,
      });
      expect(report.options).toMatchObject({ activationBits: 4, activationClip: 0.9 });
      const ops = (model.graph().node ?? []).map((n) => n.opType);
      expect(ops.filter((op) => op === 'ReduceMax')).toHaveLength(4 * config.numLayers);
      const w4 = (
        await logits(backend, (await quantizeModel(original, { weightBits: 4, groupSize: 16 })).model)
      ).data;
      const w4a4 = (await logits(backend, model)).data as Float32Array;
      expect(w4a4.every(Number.isFinite)).toBe(true);
      expect(maxAbsDiff(w4a4, w4 as Float32Array)).toBeGreaterThan(0); // activations really are quantized
      expect(maxAbsDiff(w4a4, reference) / absMax(reference)).toBeLessThan(0.5);
    },
  );
});

describe('quantizeModel with calibration', () => {
  it('GPTQ uses Hessians from the rotated model and lowers the weight-space output error vs RTN', async () => {
    const original = decoder('decomposed');
    const rtn = await quantizeModel(original, { weightBits: 4, groupSize: 16 });
    const gptq = await quantizeModel(original, { weightBits: 4, groupSize: 16, gptq: true, calibration });
    expect(gptq.report.projections.every((p) => p.method === 'gptq' && (p.gptqLoss ?? -1) >= 0)).toBe(true);
    expect(gptq.report.options.calibration).toEqual({ sequences: 4, tokens: 48 });
    const reference = (await logits('node', original)).data as Float32Array;
    const errorOf = async (m: OnnxModel) =>
      maxAbsDiff((await logits('node', m)).data as Float32Array, reference);
    // GPTQ optimises layer outputs, not weights: its logits should not be worse than RTN's by much
    expect(await errorOf(gptq.model)).toBeLessThan(1.5 * (await errorOf(rtn.model)));
  });

  it('DartQuant learns R1/R2 on captured activations, lowers the Whip loss and keeps the function', async () => {
    const original = decoder('decomposed');
    const events = new Set<string>();
    const { model, report } = await quantizeModel(original, {
      rotate: 'dartquant',
      weightBits: 16,
      calibration,
      dartquant: { r1: { learningRate: 0.05, sampleRatio: 1 }, r2: { learningRate: 0.05 } },
      onProgress: (e) => events.add(e.phase),
    });
    const dq = report.rotation.dartquant!;
    expect(dq.r1.samples).toBe(4 * 2 * config.numLayers);
    expect(dq.r1.initUsed).toBe('random-hadamard');
    expect(dq.r1.whipAfter).toBeLessThan(dq.r1.whipBefore);
    expect(dq.r2.every((r) => r.whipAfter <= r.whipBefore)).toBe(true);
    expect([...events]).toEqual(
      expect.arrayContaining([
        'fold-norms',
        'capture-rotation-data',
        'calibrate-rotation',
        'calibrate-r2',
        'rotate',
      ]),
    );
    const reference = (await logits('node', original)).data as Float32Array;
    expect(maxAbsDiff((await logits('node', model)).data as Float32Array, reference)).toBeLessThan(1e-3);
  });

  it('refuses GPTQ/DartQuant without calibration and bad options with typed errors', async () => {
    const original = decoder('decomposed');
    for (const [options, code] of [
      [{ gptq: true }, 'QUANT_NO_CALIBRATION'],
      [{ rotate: 'dartquant' }, 'QUANT_NO_CALIBRATION'],
      [{ weightBits: 3 }, 'QUANT_UNSUPPORTED_BITS'],
      [{ activationBits: 6 }, 'QUANT_UNSUPPORTED_BITS'],
      [{ groupSize: 24 }, 'QUANT_INVALID_GROUP_SIZE'],
      [{ rotate: 'spin' }, 'QUANT_INVALID_OPTION'],
    ] as const) {
      const error = await quantizeModel(original, options as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isQuantError(error) && error.code).toBe(code);
    }
    const controller = new AbortController();
    controller.abort();
    const aborted = await quantizeModel(original, { signal: controller.signal }).catch(
      (e: { code?: string }) => e,
    );
    expect((aborted as { code?: string }).code).toBe('X_ABORTED');
  });
});
