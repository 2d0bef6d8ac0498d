import { getKernels } from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, randomMatrix } from '../internal/test-helpers';
import { createRandomOrthogonal } from '../rotation/random-orthogonal';
import { calibrateR1 } from './calibrate-r1';
import { calibrateR2 } from './calibrate-r2';
import { evaluateWhip } from './whip-loss';
import { evaluateWhipKernels } from './whip-loss-kernels';

const relative = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return maxAbsDiff(a, b) / scale;
};

describe('evaluateWhipKernels (wasm GEMM) against evaluateWhip (fp64 TS twin)', () => {
  it('R1 shape: same loss and gradient, with and without token subsets, across GEMM blocks', async () => {
    const kernels = await getKernels();
    const samples = [randomMatrix(37, 24, 1), randomMatrix(19, 24, 2), randomMatrix(5, 24, 3)];
    const rotation = createRandomOrthogonal(24, { seed: 4 });
    const indices = [Uint32Array.from([0, 3, 36]), undefined, Uint32Array.from([4])];
    for (const subset of [undefined, indices]) {
      const twin = evaluateWhip(samples, [rotation], true, subset);
      // 16-row blocks: several flushes, a partial last block.
      const fast = evaluateWhipKernels(kernels, samples, [rotation], true, subset, { blockRows: 16 });
      expect(fast.tokens).toBe(twin.tokens);
      expect(Math.abs(fast.loss - twin.loss) / twin.loss).toBeLessThan(1e-5);
      expect(relative(fast.gradients![0], twin.gradients![0])).toBeLessThan(1e-4);
    }
  });

  it('R2 shape: several heads per rotation (GQA), one gradient per rotation', async () => {
    const kernels = await getKernels();
    // 6 heads of 8 channels, 2 rotations: heads 0-2 use R0, 3-5 use R1.
    const samples = [randomMatrix(11, 48, 5), randomMatrix(7, 48, 6)];
    const rotations = [createRandomOrthogonal(8, { seed: 7 }), createRandomOrthogonal(8, { seed: 8 })];
    const twin = evaluateWhip(samples, rotations, true);
    const fast = evaluateWhipKernels(kernels, samples, rotations, true, undefined, { blockRows: 10 });
    expect(Math.abs(fast.loss - twin.loss) / twin.loss).toBeLessThan(1e-5);
    for (let g = 0; g < 2; g++) expect(relative(fast.gradients![g], twin.gradients![g])).toBeLessThan(1e-4);
    expect(evaluateWhipKernels(kernels, samples, rotations, false).gradients).toBeUndefined();
  });

  it('training with kernels follows the TS trajectory (R1 and R2)', async () => {
    const kernels = await getKernels();
    const samples = Array.from({ length: 8 }, (_, i) => randomMatrix(16, 16, 10 + i));
    const options = { init: 'random-hadamard' as const, learningRate: 0.05, epochs: 4, sampleRatio: 0.5 };
    const twin = calibrateR1(samples, options);
    const fast = calibrateR1(samples, { ...options, kernels });
    expect(fast.steps).toBe(twin.steps);
    expect(maxAbsDiff(fast.lossHistory, twin.lossHistory)).toBeLessThan(1e-4);
    expect(maxAbsDiff(fast.rotation.data, twin.rotation.data)).toBeLessThan(1e-4);
    const heads = Array.from({ length: 4 }, (_, i) => randomMatrix(12, 32, 30 + i));
    const r2 = { numHeads: 4, numKvHeads: 2, learningRate: 0.05, epochs: 3, batchSize: 2 };
    const twinR2 = calibrateR2(heads, r2);
    const fastR2 = calibrateR2(heads, { ...r2, kernels });
    for (let g = 0; g < 2; g++)
      expect(maxAbsDiff(fastR2.rotations[g].data, twinR2.rotations[g].data)).toBeLessThan(1e-4);
  });
});
