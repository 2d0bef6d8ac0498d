import { findDecoderAnatomy, isXError } from '@x/core';
import { describe, expect, it } from 'vitest';
import { isNmMask } from '../src/mask/n-m';
import { pruneSparseGpt } from '../src/methods/sparsegpt';
import { readLinearWeight } from '../src/model/linear-weight';
import { pruneModel } from '../src/model/prune-model';
import { tinyDecoder } from './helpers/decoder';
import { calibration, fetchInputs, projectionsOf, zerosOf } from './helpers/probe';

describe('pruneModel with SparseGPT', () => {
  it('block l equals SparseGPT on a Hessian from the already-pruned earlier blocks (ORT computes XᵀX)', async () => {
    const dense = tinyDecoder('decomposed', 6);
    const { model } = await pruneModel(dense, {
      method: 'sparsegpt',
      sparsity: 0.5,
      calibration,
      backend: 'node',
    });
    const anatomy = findDecoderAnatomy(dense.proto);
    const view = model.clone();
    for (const name of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) {
      const weight = anatomy.layers[1][name].weight;
      view.setInitializer(weight, dense.getInitializer(weight));
    }
    const projection = anatomy.layers[1].gate;
    const k = projection.inFeatures;
    const hessian = new Float64Array(k * k);
    for (const x of await fetchInputs(view, projection)) {
      for (let t = 0; t < x.length / k; t++) {
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++)
            hessian[a * k + b] += (2 / calibration.length) * x[t * k + a] * x[t * k + b];
        }
      }
    }
    const pattern = { kind: 'unstructured', sparsity: 0.5 } as const;
    const expected = pruneSparseGpt(readLinearWeight(dense, projection).weight, hessian, pattern);
    const written = readLinearWeight(model, projection).weight.data;
    let mismatched = 0;
    for (let q = 0; q < written.length; q++) {
      if ((written[q] === 0) !== (expected.mask[q] === 1)) mismatched++;
      else expect(written[q]).toBeCloseTo(expected.weight.data[q], 3);
    }
    expect(mismatched).toBe(0);
  });
});

describe('pruneModel SparseGPT linear algebra', () => {
  it('runs on @x/kernels-wasm by default, equals the TypeScript path (methodOptions.kernels: undefined), echoes no instance', async () => {
    const dense = tinyDecoder('decomposed', 6);
    const options = { method: 'sparsegpt', sparsity: 0.5, calibration, backend: 'node' } as const;
    const fast = await pruneModel(dense, options);
    const typescript = await pruneModel(dense, { ...options, methodOptions: { kernels: undefined } });
    expect(fast.report.options.methodOptions).toEqual({});
    expect(typescript.report.options.methodOptions).toEqual({ kernels: 'none' });
    for (const { projection } of projectionsOf(fast.model)) {
      const a = readLinearWeight(fast.model, projection).weight.data;
      const b = readLinearWeight(typescript.model, projection).weight.data;
      let largest = 0;
      for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(b[i]));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-4 * largest);
    }
  });
});

describe('pruneModel options', () => {
  const dense = tinyDecoder('decomposed');

  it('SparseGPT 2:4 with DSnoT (no skip) keeps 2:4 in every matrix, on the web backend', async () => {
    const { model, report } = await pruneModel(dense, {
      method: 'sparsegpt',
      sparsity: '2:4',
      dsnot: { skipLayer: 'no_skip' },
      calibration,
      backend: 'web',
    });
    for (const { projection } of projectionsOf(model)) {
      expect(isNmMask(zerosOf(model, projection), projection.outFeatures, projection.inFeatures, 2, 4)).toBe(
        true,
      );
    }
    expect(report.backend).toBe('web');
    expect(report.linears.every((linear) => linear.dsnot)).toBe(true);
    expect(report.options.dsnot).toMatchObject({ skipLayer: 'no_skip', maxCycles: 50 });
  });

  it('DSnoT skips the MLP by default; skipped layers stay byte for byte', async () => {
    const { model, report } = await pruneModel(dense, {
      sparsity: 0.6,
      dsnot: true,
      layers: [1],
      calibration,
      backend: 'node',
    });
    expect(report.skippedLayers).toEqual([0, 2]);
    expect(report.linears.map((linear) => [linear.projection, linear.dsnot])).toEqual([
      ['q_proj', true],
      ['k_proj', true],
      ['v_proj', true],
      ['o_proj', true],
      ['gate_proj', false],
      ['up_proj', false],
      ['down_proj', false],
    ]);
    for (const { layer, projection } of projectionsOf(model)) {
      const before = dense.getInitializer(projection.weight).data as Float32Array;
      const after = model.getInitializer(projection.weight).data as Float32Array;
      if (layer === 1) expect(after).not.toEqual(before);
      else
        expect(Buffer.from(after.buffer, after.byteOffset, after.byteLength)).toEqual(
          Buffer.from(before.buffer, before.byteOffset, before.byteLength),
        );
    }
  });

  it('magnitude needs no data; a fired signal aborts with X_ABORTED; bad options are typed', async () => {
    const { report } = await pruneModel(dense, { method: 'magnitude', sparsity: 0.5, measureError: false });
    expect(report.backend).toBeUndefined();
    const controller = new AbortController();
    controller.abort();
    const errors = await Promise.all([
      pruneModel(dense, { calibration, signal: controller.signal }).catch((error) => error),
      pruneModel(dense, { sparsity: 1.5, calibration }).catch((error) => error),
      pruneModel(dense, { method: 'wanda' }).catch((error) => error),
      pruneModel(dense, { calibration: [[1, 2], [3]] }).catch((error) => error),
    ]);
    expect(errors.map((error) => isXError(error) && error.code)).toEqual([
      'X_ABORTED',
      'PRUNE_INVALID_OPTION',
      'PRUNE_INVALID_OPTION',
      'PRUNE_INVALID_OPTION',
    ]);
  });
});
