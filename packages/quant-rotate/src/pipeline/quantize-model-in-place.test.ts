/** quantizeModel's inPlace and kernels options (model-level test; fixtures from test/). */
import { describe, expect, it } from 'vitest';
import { calibration, config, decoder, logits } from '../../test/decoder-fixture';
import { maxAbsDiff } from '../../test/helpers';
import { quantizeModel } from './quantize-model';

describe('quantizeModel inPlace / kernels', () => {
  it('inPlace returns the input model, rotated, with the logits of the cloning path', async () => {
    const options = {
      rotate: 'dartquant' as const,
      weightBits: 16 as const,
      calibration,
      dartquant: { r1: { learningRate: 0.05 }, captureTokensPerSample: 4 },
    };
    const reference = (await logits('node', decoder('decomposed'))).data as Float32Array;
    const cloned = await quantizeModel(decoder('decomposed'), options);
    const input = decoder('decomposed');
    const inPlace = await quantizeModel(input, { ...options, inPlace: true });
    expect(inPlace.model).toBe(input);
    expect(inPlace.report.options).toMatchObject({ inPlace: true, kernels: true, captureTokensPerSample: 4 });
    expect(inPlace.report.rotation.dartquant?.r1.tokensPerSample).toBe(4);
    const a = (await logits('node', cloned.model)).data as Float32Array;
    const b = (await logits('node', inPlace.model)).data as Float32Array;
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    expect(maxAbsDiff(b, reference)).toBeLessThan(1e-3);
  });

  it('the fp64 TS path (kernels: false) and the wasm path learn the same rotations', async () => {
    const options = {
      rotate: 'dartquant' as const,
      weightBits: 16 as const,
      calibration,
      dartquant: { r1: { learningRate: 0.05 } },
    };
    const ts = await quantizeModel(decoder('decomposed'), { ...options, kernels: false });
    const wasm = await quantizeModel(decoder('decomposed'), options);
    const [r1Ts, r1Wasm] = [ts, wasm].map((r) => r.report.rotation.dartquant!.r1);
    expect(Math.abs(r1Ts.whipAfter - r1Wasm.whipAfter) / r1Ts.whipAfter).toBeLessThan(1e-4);
    const a = (await logits('node', ts.model)).data as Float32Array;
    const b = (await logits('node', wasm.model)).data as Float32Array;
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-3);
    expect(config.numLayers).toBeGreaterThan(1);
  });
});
