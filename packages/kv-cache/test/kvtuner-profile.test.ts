import { buildDecoderModel, createDecoderWeights, createRng, type DecoderConfig, OnnxModel } from '@x/core';
import { describe, expect, it } from 'vitest';
import { createKvPolicy } from '../src/policy/registry';
import { pairBits } from '../src/profile/kvtuner-pairs';
import { profileKvTuner } from '../src/profile/profile-kvtuner';
import { createGenerator } from '../src/runtime/create-generator';

const config: DecoderConfig = {
  vocabSize: 64,
  hiddenSize: 64,
  numLayers: 3,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 32,
  intermediateSize: 48,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
  maxPositionEmbeddings: 256,
};
const model = new OnnxModel(
  buildDecoderModel(config, createDecoderWeights(config, { seed: 4, scale: 2 }), { form: 'decomposed' }),
);

describe('KVTuner on a builder-made decoder', () => {
  it('rejects a budget below 2 bits, no calibration and a residual length off the group grid', async () => {
    const codes: string[] = [];
    for (const options of [{ budget: 1.5 }, { residualLength: 48 }, { groups: 0 }]) {
      await profileKvTuner(model, [[1, 2, 3]], options).catch((error) => codes.push(error.code));
    }
    await profileKvTuner(model, []).catch((error) => codes.push(error.code));
    expect(codes).toEqual([
      'KV_INVALID_OPTION',
      'KV_INVALID_OPTION',
      'KV_INVALID_OPTION',
      'KV_INVALID_OPTION',
    ]);
  });

  it('measures every layer × pair, searches under the budget, and the kvtuner policy runs the chosen pairs', async () => {
    const rng = createRng(1);
    const calibration = [0, 1].map(() => Array.from({ length: 100 }, () => rng.int(64)));
    const profile = await profileKvTuner(model, calibration, {
      residualLength: 32,
      queryRows: 16,
      groups: 2,
    });
    expect(profile.sensitivity).toHaveLength(3);
    for (const row of profile.sensitivity) {
      expect(row).toHaveLength(9);
      // KV8 (index 0) is the most accurate pair and KV2 (index 8) the least, on every layer.
      expect(Math.min(...row)).toBe(row[0]);
      expect(Math.max(...row)).toBe(row[8]);
    }
    expect(profile.clusters.flat().sort()).toEqual([0, 1, 2]);
    expect(profile.averageBits).toBeLessThanOrEqual(3.25);
    expect(profile.layers.reduce((sum, pair) => sum + pairBits(pair), 0) / 3).toBe(profile.averageBits);
    expect(profile.options).toMatchObject({
      budget: 3.25,
      groups: 2,
      residualLength: 32,
      samples: 2,
      seqlen: 100,
    });
    const prompt = calibration[0].slice(0, 70);
    const full = await createGenerator(model, { mode: 'split' });
    const tuned = await createGenerator(model, {
      mode: 'split',
      policy: createKvPolicy('kvtuner', { profile }),
    });
    const a = await full.generate(prompt, { maxNewTokens: 4 });
    const b = await tuned.generate(prompt, { maxNewTokens: 4 });
    expect(b.tokens).toHaveLength(4);
    expect(b.policy.options).toMatchObject({ residualLength: 32, averageBits: profile.averageBits });
    expect(b.kvBytes.resident).toBeLessThan(a.kvBytes.resident / 2);
    await full.release();
    await tuned.release();
  });
});
