import { describe, expect, it } from 'vitest';
import {
  expectClose,
  kernelsFor,
  randomFloats,
  randomInt,
  seeded,
  testedIsas,
} from '../../test/kernel-tester';
import { isKernelError } from '../errors';
import { f32GemmRef } from '../reference/f32-gemm.ref';
import { f32Gemm, f32GemmVariant } from './f32-gemm';
import { packF32Gemm } from './pack-f32-gemm';

// fp32 accumulation over k terms of size <= 1: error grows ~ k * eps; 1e-5 absolute + 1e-4 relative holds for k <= 300.
const tolerance = { absolute: 2e-5, relative: 1e-4 };

describe.each(testedIsas)('f32Gemm (%s)', (isa) => {
  it('matches the twin on random shapes, odd sizes included', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(11);
    const shapes = [
      [1, 1, 1],
      [1, 37, 19],
      [4, 8, 8],
      [5, 13, 9],
      [7, 3, 17],
      [66, 31, 23],
    ];
    for (let trial = 0; trial < 6; trial++)
      shapes.push([randomInt(random, 1, 70), randomInt(random, 1, 130), randomInt(random, 1, 40)]);
    for (const [m, k, n] of shapes) {
      const a = randomFloats(random, m * k);
      const b = randomFloats(random, k * n);
      const bias = trial(m) ? randomFloats(random, n) : undefined;
      const weights = packF32Gemm(kernels, b, { k, n, bias });
      const c = f32Gemm(kernels, a, weights, { m });
      expectClose(c, f32GemmRef(a, b, { m, k, n }, bias), tolerance);
      weights.dispose();
    }
  });

  it('every f32 GEMM variant in the module matches the twin', async () => {
    const kernels = await kernelsFor(isa);
    const variants = Object.keys(kernels.instance.exports).filter((name) =>
      /^xk_f32_gemm_\d+x\d+_/.test(name),
    );
    expect(variants.length).toBeGreaterThanOrEqual(isa === 'relaxed' ? 4 : 2);
    const random = seeded(14);
    for (const variant of variants) {
      for (const [m, k, n] of [
        [1, 5, 3],
        [4, 8, 8],
        [11, 29, 21],
        [130, 7, 9],
      ]) {
        const a = kernels.alloc('float32', m * k);
        a.view().set(randomFloats(random, m * k));
        const b = randomFloats(random, k * n);
        const bias = randomFloats(random, n);
        const weights = packF32Gemm(kernels, b, { k, n, bias });
        const c = kernels.alloc('float32', m * n);
        kernels.kernel(variant)(m, n, k, a.pointer, k, weights.buffer.pointer, c.pointer, n);
        expectClose(c.view(), f32GemmRef(a.view(), b, { m, k, n }, bias), tolerance);
        for (const handle of [a, c, weights.buffer]) handle.free();
      }
    }
  });

  it('packs [n, k] weights when transposed', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(12);
    const [m, k, n] = [3, 21, 11];
    const a = randomFloats(random, m * k);
    const bt = randomFloats(random, n * k);
    const weights = packF32Gemm(kernels, bt, { k, n, transposed: true });
    expectClose(
      f32Gemm(kernels, a, weights, { m }),
      f32GemmRef(a, bt, { m, k, n, transposed: true }),
      tolerance,
    );
    weights.dispose();
  });

  it('writes into KernelBuffers without copies and reuses them', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(13);
    const [m, k, n] = [9, 16, 24];
    const a = kernels.alloc('float32', m * k);
    a.view().set(randomFloats(random, m * k));
    const out = kernels.alloc('float32', m * n);
    const b = randomFloats(random, k * n);
    const weights = packF32Gemm(kernels, b, { k, n });
    const before = kernels.memory.allocatedBytes;
    const result = f32Gemm(kernels, a, weights, { m, out });
    expect(result.buffer).toBe(kernels.memory.memory.buffer);
    expectClose(result, f32GemmRef(a.view(), b, { m, k, n }), tolerance);
    f32Gemm(kernels, a, weights, { m, out });
    expect(kernels.memory.allocatedBytes).toBe(before);
    for (const handle of [a, out]) handle.free();
    weights.dispose();
  });
});

function trial(m: number): boolean {
  return m % 2 === 1;
}

describe('f32Gemm input checks', () => {
  it('rejects too-small, mistyped and disposed inputs with typed errors', async () => {
    const kernels = await kernelsFor('simd');
    const weights = packF32Gemm(kernels, new Float32Array(12), { k: 3, n: 4 });
    const codeOf = (run: () => unknown): string => {
      try {
        run();
      } catch (error) {
        expect(isKernelError(error)).toBe(true);
        return (error as { code: string }).code;
      }
      return 'no error';
    };
    expect(codeOf(() => f32Gemm(kernels, new Float32Array(5), weights, { m: 2 }))).toBe(
      'KERNEL_BUFFER_TOO_SMALL',
    );
    expect(codeOf(() => f32Gemm(kernels, new Float64Array(6) as never, weights, { m: 2 }))).toBe(
      'KERNEL_DTYPE_MISMATCH',
    );
    expect(codeOf(() => f32Gemm(kernels, new Float32Array(6), weights, { m: 0 }))).toBe(
      'KERNEL_INVALID_ARGUMENT',
    );
    expect(codeOf(() => packF32Gemm(kernels, new Float32Array(11), { k: 3, n: 4 }))).toBe(
      'KERNEL_BUFFER_TOO_SMALL',
    );
    const fake = { ...kernels.alloc('float32', 8), pointer: 8 };
    expect(codeOf(() => f32Gemm(kernels, fake, weights, { m: 2 }))).toBe('KERNEL_UNALIGNED');
    weights.dispose();
    expect(codeOf(() => f32Gemm(kernels, new Float32Array(6), weights, { m: 2 }))).toBe('KERNEL_DISPOSED');
  });
});

describe('f32Gemm variant choice', () => {
  it('uses loadsplat with offset immediates on this x86 host (XNNPACK host probe: inf - inf has its sign bit set)', async () => {
    const kernels = await kernelsFor('simd');
    expect(kernels.kernel('xk_host_is_x86')()).toBe(
      process.arch === 'x64' || process.arch === 'ia32' ? 1 : 0,
    );
    expect(f32GemmVariant(kernels)).toBe(
      process.arch === 'x64'
        ? 'xk_f32_gemm_4x8_wasmsimd_loadsplat_offsets'
        : 'xk_f32_gemm_4x8_wasmsimd_splat',
    );
  });
});
