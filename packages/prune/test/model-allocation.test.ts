import { addGraphOutputs, createTensor, findDecoderAnatomy, loadBackend, type Tensor } from '@x/core';
import { describe, expect, it } from 'vitest';
import { linearCka } from '../src/allocation/cka';
import { readLinearWeight } from '../src/model/linear-weight';
import { computeLosaAllocation } from '../src/model/losa-allocation';
import { computeOwlAllocation } from '../src/model/owl-allocation';
import { pruneModel } from '../src/model/prune-model';
import { calibrationSequences, tinyConfig, tinyDecoder } from './helpers/decoder';

const calibration = calibrationSequences(4, 12, 21);

describe('OWL on a model', () => {
  const dense = tinyDecoder('fused', 8);

  it('outlier ratios equal a reference from full dense-model runs, and the allocation keeps the mean', async () => {
    const anatomy = findDecoderAnatomy(dense.proto);
    const result = await computeOwlAllocation(dense, {
      sparsity: 0.6,
      calibration,
      outlierMultiplier: 2,
      backend: 'node',
    });
    // Reference: fetch every linear input from the whole dense model, Wanda scores by plain loops, count > M·mean.
    const probe = dense.clone();
    const inputs = [
      ...new Set(
        anatomy.layers.flatMap((layer) => [layer.q, layer.o, layer.gate, layer.down].map((p) => p.input)),
      ),
    ];
    addGraphOutputs(probe, inputs);
    const session = await (await loadBackend('node')).createSession(probe, {
      graphOptimizationLevel: 'disabled',
    });
    const norms = new Map<string, Float64Array>();
    for (const tokens of calibration) {
      const feeds: Record<string, Tensor> = {
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
      const values = await session.run(feeds, inputs);
      for (const name of inputs) {
        const x = values[name].data as Float32Array;
        const columns = x.length / tokens.length;
        const sums = norms.get(name) ?? new Float64Array(columns);
        for (let k = 0; k < x.length; k++) sums[k % columns] += x[k] * x[k];
        norms.set(name, sums);
      }
    }
    await session.release();
    anatomy.layers.forEach((layer, index) => {
      const scores: number[] = [];
      for (const projection of [layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down]) {
        const { weight } = readLinearWeight(dense, projection);
        const sums = norms.get(projection.input) as Float64Array;
        for (let i = 0; i < weight.rows; i++) {
          for (let j = 0; j < weight.columns; j++) {
            scores.push(
              Math.abs(weight.data[i * weight.columns + j]) * Math.sqrt(sums[j] / calibration.length),
            );
          }
        }
      }
      const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
      const outliers = scores.filter((score) => score > 2 * mean).length;
      expect(result.outlierRatios[index]).toBeCloseTo((100 * outliers) / scores.length, 9);
    });
    const mean = result.layerSparsity.reduce((a, b) => a + b, 0) / result.layerSparsity.length;
    expect(mean).toBeCloseTo(0.6, 12);
    expect(Math.max(...result.layerSparsity) - Math.min(...result.layerSparsity)).toBeCloseTo(0.16, 12);
  });

  it("pruneModel with allocation 'owl' prunes each layer at its own ratio, exactly per row", async () => {
    const { model, report } = await pruneModel(dense, {
      sparsity: 0.6,
      allocation: { kind: 'owl', outlierMultiplier: 2 },
      calibration,
      backend: 'node',
      measureError: false,
    });
    const ratios = report.options.layerSparsity as number[];
    expect(report.outlierRatios).toHaveLength(tinyConfig.numLayers);
    expect(Math.max(...ratios) - Math.min(...ratios)).toBeCloseTo(0.16, 9);
    const anatomy = findDecoderAnatomy(model.proto);
    for (const linear of report.linears) {
      const key = linear.projection.replace('_proj', '') as 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';
      const { weight } = readLinearWeight(model, anatomy.layers[linear.layer][key]);
      for (let i = 0; i < weight.rows; i++) {
        let zeros = 0;
        for (let j = 0; j < weight.columns; j++) zeros += weight.data[i * weight.columns + j] === 0 ? 1 : 0;
        expect(zeros).toBe(Math.floor(ratios[linear.layer] * weight.columns + 1e-9));
      }
      expect(linear.sparsity).toBeCloseTo(
        Math.floor(ratios[linear.layer] * linear.columns + 1e-9) / linear.columns,
        12,
      );
    }
    expect(report.timings.allocationSeconds).toBeGreaterThan(0);
  });
});

describe('LoSA on a model', () => {
  const dense = tinyDecoder('decomposed', 8);

  it('importance equals exp(−normalized CKA redundancy) of block inputs fetched from the full model', async () => {
    const anatomy = findDecoderAnatomy(dense.proto);
    const result = await computeLosaAllocation(dense, { sparsity: 0.6, calibration, backend: 'node' });
    const entries = anatomy.layers.map((layer) => layer.residual.entry);
    const probe = dense.clone();
    addGraphOutputs(probe, entries);
    const session = await (await loadBackend('node')).createSession(probe, {
      graphOptimizationLevel: 'disabled',
    });
    const features: number[][] = entries.map(() => []);
    for (const tokens of calibration) {
      const feeds: Record<string, Tensor> = {
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
          const dims = [1, tinyConfig.numKvHeads, 0, tinyConfig.headDim];
          feeds[`past_key_values.${layer}.${kind}`] = createTensor('float32', dims);
        }
      }
      const values = await session.run(feeds, entries);
      entries.forEach((name, l) => {
        features[l].push(...(values[name].data as Float32Array));
      });
    }
    await session.release();
    const similarity = entries.map((_, l) =>
      entries.reduce(
        (sum, _unused, m) => (m === l ? sum : sum + linearCka(features[l], features[m], calibration.length)),
        0,
      ),
    );
    const total = similarity.reduce((a, b) => a + b, 0);
    similarity.forEach((s, l) => {
      expect(result.importance[l]).toBeCloseTo(Math.exp(-s / total), 6);
    });
    const mean = result.layerSparsity.reduce((a, b) => a + b, 0) / result.layerSparsity.length;
    expect(mean).toBeCloseTo(0.6, 12);
    expect(result.options.delta).toBe(0.02);
    const most = result.importance.indexOf(Math.max(...result.importance));
    expect(result.layerSparsity[most]).toBeCloseTo(0.58, 12);
  });

  it("pruneModel with allocation 'losa' echoes the importance and prunes each layer at its ratio", async () => {
    const { report } = await pruneModel(dense, {
      sparsity: 0.6,
      allocation: 'losa',
      calibration,
      backend: 'node',
      measureError: false,
    });
    const ratios = report.options.layerSparsity as number[];
    expect(report.layerImportance).toHaveLength(tinyConfig.numLayers);
    for (const linear of report.linears) {
      expect(linear.sparsity).toBeCloseTo(
        Math.floor(ratios[linear.layer] * linear.columns + 1e-9) / linear.columns,
        12,
      );
    }
  });
});
