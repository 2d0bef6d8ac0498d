import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, randomFloats, seeded, testedIsas } from '../../test/kernel-tester';
import { f32Gemm, f32GemmVariant } from '../f32-gemm/f32-gemm';
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

describe.each(testedIsas)('kernel pool on the %s build', (isa) => {
  let pool: KernelPool;
  beforeAll(async () => {
    pool = await createKernelPool({ threads: 2, isa });
  });
  afterAll(async () => {
    await pool.dispose();
  });

  it('loads the shared-memory module of that build on the worker and runs its GEMM kernel there', async () => {
    expect(pool.kernels.options).toMatchObject({ isa, shared: true });
    const [m, k, n] = [12, 45, 24];
    const random = seeded(isa === 'simd' ? 5 : 6);
    const b = randomFloats(random, k * n);
    const weights = packF32Gemm(pool.kernels, b, { k, n });
    const a = pool.kernels.alloc('float32', m * k);
    a.view().set(randomFloats(random, m * k));
    const out = pool.kernels.alloc('float32', m * n);
    const variant = f32GemmVariant(pool.kernels);
    expect(variant.includes('relaxedsimd')).toBe(isa === 'relaxed');
    const call = (name: string) => ({
      name,
      args: [m, n, k, a.pointer, k, weights.buffer.pointer, out.pointer, n],
    });
    const mainThread = Array.from(f32Gemm(pool.kernels, a, weights, { m }));
    await pool.run([[], [call(variant)]]); // the whole GEMM on the worker alone
    const workerAlone = Array.from(out.view());
    expect(workerAlone).toEqual(mainThread);
    expect(Array.from(await parallelF32Gemm(pool, a, weights, { m }))).toEqual(mainThread);
    if (isa === 'relaxed') {
      // Where the engine fuses relaxed_madd the SIMD128 kernel (mul, then add) rounds differently, so a
      // worker running SIMD128 code would have failed the bitwise checks above.
      await pool.run([[], [call('xk_f32_gemm_4x8_wasmsimd_loadsplat')]]);
      const unfused = Array.from(out.view());
      expect(unfused.some((value, i) => value !== mainThread[i])).toBe(fusesOnMainThread(pool));
    }
    a.free();
    out.free();
    weights.dispose();
  });

  it('a fused multiply-add probe gives the same bits on the worker as on the main thread', async () => {
    // bias + a·b with a = b = 1 + 2^-12, bias = -1: one rounding gives 2^-11 + 2^-24, mul then add 2^-11.
    const x = 1 + 2 ** -12;
    const weights = packF32Gemm(pool.kernels, new Float32Array(8).fill(x), {
      k: 1,
      n: 8,
      bias: new Float32Array(8).fill(-1),
    });
    const a = pool.kernels.alloc('float32', 4);
    a.view().fill(x);
    const out = pool.kernels.alloc('float32', 32);
    const mainThread = Array.from(f32Gemm(pool.kernels, a, weights, { m: 4 }));
    const name = f32GemmVariant(pool.kernels);
    await pool.run([[], [{ name, args: [4, 8, 1, a.pointer, 1, weights.buffer.pointer, out.pointer, 8] }]]);
    expect(Array.from(out.view())).toEqual(mainThread);
    const expected = isa === 'simd' ? 2 ** -11 : mainThread[0];
    expect(mainThread).toEqual(new Array(32).fill(expected));
    expect([2 ** -11, 2 ** -11 + 2 ** -24]).toContain(expected);
    a.free();
    out.free();
    weights.dispose();
  });
});

/** Whether this pool's GEMM kernel rounds bias + a·b once (relaxed_madd fused by the engine), on the main thread. */
function fusesOnMainThread(pool: KernelPool): boolean {
  const x = 1 + 2 ** -12;
  const weights = packF32Gemm(pool.kernels, new Float32Array(8).fill(x), {
    k: 1,
    n: 8,
    bias: new Float32Array(8).fill(-1),
  });
  const value = f32Gemm(pool.kernels, new Float32Array(4).fill(x), weights, { m: 4 })[0];
  weights.dispose();
  return value !== 2 ** -11;
}
