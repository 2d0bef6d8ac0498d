import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, randomFloats, seeded } from '../../test/kernel-tester';
import { f32Gemm } from '../f32-gemm/f32-gemm';
import { packF32Gemm } from '../f32-gemm/pack-f32-gemm';
import { f32GemmRef } from '../reference/f32-gemm.ref';
import { createKernelPool, type KernelPool } from './kernel-pool';
import { parallelF32Gemm } from './parallel-f32-gemm';

describe('parallelF32Gemm (2 threads, shared memory)', () => {
  let pool: KernelPool;
  beforeAll(async () => {
    pool = await createKernelPool({ threads: 2, isa: 'simd' });
  });
  afterAll(async () => {
    await pool.dispose();
  });

  it('equals the single-thread kernel bit for bit, rows and panels split', async () => {
    const random = seeded(21);
    for (const [m, k, n] of [
      [1, 33, 40],
      [3, 17, 9],
      [9, 20, 13],
      [37, 45, 70],
    ]) {
      const a = randomFloats(random, m * k);
      const b = randomFloats(random, k * n);
      const bias = randomFloats(random, n);
      const weights = packF32Gemm(pool.kernels, b, { k, n, bias });
      const single = f32Gemm(pool.kernels, a, weights, { m });
      const parallel = await parallelF32Gemm(pool, a, weights, { m });
      expect(Array.from(parallel)).toEqual(Array.from(single));
      expectClose(parallel, f32GemmRef(a, b, { m, k, n }, bias), { absolute: 2e-5, relative: 1e-4 });
      weights.dispose();
    }
  });

  it('refuses a second call while one is running', async () => {
    const weights = packF32Gemm(pool.kernels, new Float32Array(64), { k: 8, n: 8 });
    const first = parallelF32Gemm(pool, new Float32Array(64), weights, { m: 8 });
    await expect(parallelF32Gemm(pool, new Float32Array(64), weights, { m: 8 })).rejects.toMatchObject({
      code: 'KERNEL_INVALID_ARGUMENT',
    });
    await first;
    weights.dispose();
  });
});
