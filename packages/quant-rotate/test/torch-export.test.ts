/**
 * The pipeline on a real torch.onnx export (TorchScript exporter, opset 17) of a tiny HF Llama: core's anatomy
 * fixture, read by path (read-only). Rotation + folding must keep the logits there too, on both backends.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findDecoderAnatomy, readModel, writeModel } from '@x/core';
import { describe, expect, it } from 'vitest';
import { createDecoderFeeds } from '../src/calibrate/decoder-feeds';
import { quantizeModel } from '../src/index';
import { backends, maxAbsDiff, runModel } from './helpers';

const fixture = resolve(import.meta.dirname, '../../core/src/anatomy/__fixtures__/torch-llama-tiny.onnx');

describe.skipIf(!existsSync(fixture)).each(backends)(
  'a torch.onnx Llama export on onnxruntime-%s',
  (backend) => {
    it('keeps the logits under R1-R4 + folding, and runs with W4 MatMulNBits (+ simulated A4)', async () => {
      const model = await readModel(fixture);
      const anatomy = findDecoderAnatomy(model.proto);
      const feeds = createDecoderFeeds(anatomy, [1, 7, 3, 22, 9, 31]);
      const reference = (await runModel(backend, model, feeds))[anatomy.io.logits].data as Float32Array;
      const rotated = await quantizeModel(model, { weightBits: 16 });
      expect(rotated.report.rotation.r3.skippedLayers).toEqual([]);
      const out = (await runModel(backend, rotated.model, feeds))[anatomy.io.logits].data as Float32Array;
      expect(maxAbsDiff(out, reference)).toBeLessThan(1e-3);
      const quantized = await quantizeModel(model, { weightBits: 4, groupSize: 16, activationBits: 4 });
      const q = (await runModel(backend, quantized.model, feeds))[anatomy.io.logits].data as Float32Array;
      expect(q.every(Number.isFinite)).toBe(true);
      expect(maxAbsDiff(q, reference)).toBeGreaterThan(1e-4);
      // The export imports only ai.onnx: the written model must import com.microsoft for its MatMulNBits, or
      // ONNX checkers and core's readModel refuse it (the web backend reads models through core).
      expect(quantized.model.proto.opsetImport?.map((opset) => opset.domain ?? '')).toContain(
        'com.microsoft',
      );
      const dir = await mkdtemp(join(tmpdir(), 'x-quant-torch-'));
      await writeModel(quantized.model, join(dir, 'model.onnx'));
      await expect(readModel(join(dir, 'model.onnx'))).resolves.toBeDefined();
    });
  },
);
