import {
  addGraphOutputs,
  createTensor,
  findDecoderAnatomy,
  isXError,
  loadBackend,
  type OnnxModel,
  type ProjectionAnatomy,
} from '@x/core';
import { describe, expect, it } from 'vitest';
import { isNmMask } from '../src/mask/n-m';
import { readLinearWeight } from '../src/model/linear-weight';
import { pruneModel } from '../src/model/prune-model';
import { calibrationSequences, tinyConfig, tinyDecoder } from './helpers/decoder';

const calibration = calibrationSequences(4, 12);

function projectionsOf(model: OnnxModel): { layer: number; name: string; projection: ProjectionAnatomy }[] {
  const anatomy = findDecoderAnatomy(model.proto);
  return anatomy.layers.flatMap((layer) =>
    (['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const).map((name) => ({
      layer: layer.index,
      name,
      projection: layer[name],
    })),
  );
}

/** Plain reference: Wanda's mask from the layer inputs fetched out of a full-model run. */
async function wandaMaskFrom(
  model: OnnxModel,
  projection: ProjectionAnatomy,
  dense: Float32Array,
  sparsity: number,
) {
  const probe = model.clone();
  addGraphOutputs(probe, [projection.input]);
  const backend = await loadBackend('node');
  const session = await backend.createSession(probe, { graphOptimizationLevel: 'disabled' });
  const columns = projection.inFeatures;
  const norms = new Float64Array(columns);
  for (const tokens of calibration) {
    const feeds = {
      input_ids: createTensor('int64', [1, tokens.length], BigInt64Array.from(tokens, BigInt)),
      attention_mask: createTensor('int64', [1, tokens.length], new BigInt64Array(tokens.length).fill(1n)),
      position_ids: createTensor(
        'int64',
        [1, tokens.length],
        BigInt64Array.from(tokens, (_, i) => BigInt(i)),
      ),
    } as Record<string, ReturnType<typeof createTensor>>;
    for (let layer = 0; layer < tinyConfig.numLayers; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] = createTensor('float32', [
          1,
          tinyConfig.numKvHeads,
          0,
          tinyConfig.headDim,
        ]);
      }
    }
    const values = await session.run(feeds, [projection.input]);
    const x = values[projection.input].data as Float32Array;
    for (let k = 0; k < x.length; k++) norms[k % columns] += x[k] * x[k];
  }
  await session.release();
  const rows = projection.outFeatures;
  const mask = new Uint8Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const order = Array.from({ length: columns }, (_, j) => j).sort(
      (a, b) =>
        Math.abs(dense[i * columns + a]) * Math.sqrt(norms[a]) -
          Math.abs(dense[i * columns + b]) * Math.sqrt(norms[b]) || a - b,
    );
    for (const j of order.slice(0, Math.floor(columns * sparsity))) mask[i * columns + j] = 1;
  }
  return mask;
}

function zerosOf(model: OnnxModel, projection: ProjectionAnatomy): Uint8Array {
  const { weight } = readLinearWeight(model, projection);
  return Uint8Array.from(weight.data, (value) => (value === 0 ? 1 : 0));
}

describe.each(['decomposed', 'fused'] as const)('pruneModel on a %s decoder', (form) => {
  const dense = tinyDecoder(form);

  it('Wanda at 50%: every matrix has exactly half of each row zeroed, the model runs, the input is untouched', async () => {
    const { model, report } = await pruneModel(dense, {
      method: 'wanda',
      sparsity: 0.5,
      calibration,
      backend: 'node',
    });
    for (const { projection } of projectionsOf(model)) {
      const zeros = zerosOf(model, projection);
      const columns = projection.inFeatures;
      for (let i = 0; i < projection.outFeatures; i++) {
        expect(zeros.subarray(i * columns, (i + 1) * columns).reduce((a, b) => a + b, 0)).toBe(columns / 2);
      }
      expect(zerosOf(dense, projection).some((z) => z === 1)).toBe(false);
    }
    expect(report.linears).toHaveLength(21);
    expect(report.sparsity).toBe(0.5);
    for (const linear of report.linears) expect(linear.reconstructionError!.final).toBeGreaterThan(0);
    for (const name of ['node', 'web'] as const) {
      const backend = await loadBackend(name);
      const session = await backend.createSession(model);
      const tokens = calibration[0];
      const feeds: Record<string, ReturnType<typeof createTensor>> = {
        input_ids: createTensor('int64', [1, tokens.length], BigInt64Array.from(tokens, BigInt)),
        attention_mask: createTensor('int64', [1, tokens.length], new BigInt64Array(tokens.length).fill(1n)),
        position_ids: createTensor(
          'int64',
          [1, tokens.length],
          BigInt64Array.from(tokens, (_, i) => BigInt(i)),
        ),
      };
      for (let layer = 0; layer < tinyConfig.numLayers; layer++) {
        for (const kind of ['key', 'value']) {
          feeds[`past_key_values.${layer}.${kind}`] = createTensor('float32', [
            1,
            tinyConfig.numKvHeads,
            0,
            tinyConfig.headDim,
          ]);
        }
      }
      const { logits } = await session.run(feeds, ['logits']);
      expect(logits.dims).toEqual([1, tokens.length, tinyConfig.vocabSize]);
      expect(Array.from(logits.data as Float32Array).every(Number.isFinite)).toBe(true);
      await session.release();
    }
  });

  it('calibrates block l on the outputs of the already-pruned blocks', async () => {
    const { model } = await pruneModel(dense, {
      method: 'wanda',
      sparsity: 0.5,
      calibration,
      backend: 'node',
      measureError: false,
    });
    const anatomy = findDecoderAnatomy(dense.proto);
    for (const [layer, projection] of [
      [1, anatomy.layers[1].q],
      [2, anatomy.layers[2].down],
    ] as const) {
      const weights = readLinearWeight(dense, projection).weight.data;
      const written = zerosOf(model, projection);
      // The protocol's view of block l: blocks before it pruned, block l itself dense. Rebuild that model from the
      // output by restoring block l's dense weights; the reference mask from its activations must match exactly...
      const view = model.clone();
      for (const name of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) {
        const weight = anatomy.layers[layer][name].weight;
        view.setInitializer(weight, dense.getInitializer(weight));
      }
      const fromPruned = await wandaMaskFrom(view, projection, weights, 0.5);
      expect(written).toEqual(fromPruned);
      // ...while statistics from the dense model give a different mask.
      const fromDense = await wandaMaskFrom(dense, projection, weights, 0.5);
      expect(written).not.toEqual(fromDense);
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
