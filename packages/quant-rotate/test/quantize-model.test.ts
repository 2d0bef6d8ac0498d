/**
 * End-to-end checks of `quantizeModel` on decoders built with core's builder (random seeded weights), run on
 * onnxruntime-node and onnxruntime-web: rotation + folding without quantization keeps the logits (brief §12.1),
 * and quantized models run and stay close.
 */
import {
  buildDecoderModel,
  createDecoderWeights,
  type DecoderConfig,
  type DecoderForm,
  findDecoderAnatomy,
  OnnxModel,
  type Tensor,
} from '@x/core';
import { describe, expect, it } from 'vitest';
import { createDecoderFeeds } from '../src/calibrate/decoder-feeds';
import { isQuantError, quantizeModel } from '../src/index';
import { backends, maxAbsDiff, runModel } from './helpers';

const config: DecoderConfig = {
  vocabSize: 64,
  hiddenSize: 48, // 12·4: R1 uses a Paley Hadamard factor
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 80, // 20·4: the online R4 is the two-MatMul Kronecker form
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: true,
};
const ids = [5, 17, 3, 60, 22, 9, 41];
const calibration = {
  sequences: Array.from({ length: 4 }, (_, s) => Array.from({ length: 12 }, (_, i) => (s * 13 + i * 7) % 64)),
};

function decoder(form: DecoderForm, fusedRotary?: 'gqa' | 'rotary-embedding'): OnnxModel {
  const weights = createDecoderWeights(config, { seed: 3 });
  return new OnnxModel(buildDecoderModel(config, weights, { form, ...(fusedRotary ? { fusedRotary } : {}) }));
}

async function logits(backend: (typeof backends)[number], model: OnnxModel): Promise<Tensor> {
  const anatomy = findDecoderAnatomy(decoder('decomposed').proto); // same I/O names for every form
  return (await runModel(backend, model, createDecoderFeeds(anatomy, ids))).logits;
}

function absMax(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

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
