import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { f32Gemm } from './f32-gemm/f32-gemm';
import { packF32Gemm } from './f32-gemm/pack-f32-gemm';
import { getKernels, loadKernels } from './load';
import { hasRelaxedSimd, hasSharedMemory, hasWasmSimd } from './runtime/features';

const simdUrl = new URL('../wasm/x-kernels-simd.wasm', import.meta.url);

async function gemmWorks(kernels: Awaited<ReturnType<typeof loadKernels>>): Promise<void> {
  const weights = packF32Gemm(kernels, Float32Array.of(1, 2, 3, 4), { k: 2, n: 2 });
  expect(Array.from(f32Gemm(kernels, Float32Array.of(1, 1), weights, { m: 1 }))).toEqual([4, 6]);
  weights.dispose();
}

describe('feature detection', () => {
  it('finds SIMD128 and shared memory in Node 20; relaxed SIMD only with the flag vitest passes', () => {
    expect(hasWasmSimd()).toBe(true);
    expect(hasSharedMemory()).toBe(true);
    expect(hasRelaxedSimd()).toBe(process.execArgv.includes('--experimental-wasm-relaxed-simd'));
  });
});

describe('loadKernels', () => {
  it("'auto' picks relaxed exactly when the engine validates it", async () => {
    const kernels = await loadKernels();
    expect(kernels.options.isa).toBe(hasRelaxedSimd() ? 'relaxed' : 'simd');
    await gemmWorks(kernels);
  });

  it('accepts user-given bytes, a compiled Module and a URL', async () => {
    const bytes = await readFile(simdUrl);
    await gemmWorks(await loadKernels({ isa: 'simd', source: new Uint8Array(bytes) }));
    await gemmWorks(await loadKernels({ isa: 'simd', source: await WebAssembly.compile(bytes) }));
    await gemmWorks(await loadKernels({ isa: 'simd', source: simdUrl }));
  });

  it('getKernels is one lazy instance per thread', async () => {
    expect(await getKernels()).toBe(await getKernels());
  });

  it('bad bytes and bad options are typed errors', async () => {
    await expect(loadKernels({ source: new Uint8Array([0, 1, 2]) })).rejects.toMatchObject({
      code: 'KERNEL_LOAD_FAILED',
    });
    await expect(loadKernels({ isa: 'avx' as never })).rejects.toMatchObject({
      code: 'KERNEL_INVALID_ARGUMENT',
    });
    await expect(loadKernels({ maximumMemoryBytes: 1024 })).rejects.toMatchObject({
      code: 'KERNEL_INVALID_ARGUMENT',
    });
  });

  it('out-of-memory growth surfaces as KERNEL_OUT_OF_MEMORY', async () => {
    const kernels = await loadKernels({ isa: 'simd', maximumMemoryBytes: 2 * 1024 * 1024 });
    expect(() => kernels.alloc('float32', 1024 * 1024)).toThrow(
      expect.objectContaining({ code: 'KERNEL_OUT_OF_MEMORY' }),
    );
  });
});
