import { createTensor, findDecoderAnatomy, loadBackend } from '@x/core';
import { describe, expect, it } from 'vitest';
import { readLinearWeight } from '../src/model/linear-weight';
import { pruneModel } from '../src/model/prune-model';
import { tinyConfig, tinyDecoder } from './helpers/decoder';
import { calibration, projectionsOf, wandaMaskFrom, zerosOf } from './helpers/probe';

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
