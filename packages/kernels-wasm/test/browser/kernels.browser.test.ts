/**
 * The kernels in a real browser through a bundler: Vite serves src/ and the wasm/ assets to headless
 * Chromium (vitest.browser.config.ts, no wasm configuration). `loadKernels()` with the automatic
 * ISA must pick relaxed SIMD there, fetch its module over HTTP, and each kernel must match its
 * TypeScript twin with the same tolerances as the Node tests.
 * Run: `npx vitest run -c vitest.browser.config.ts` (needs /usr/bin/chromium or CHROMIUM_PATH).
 */
import { describe, expect, it } from 'vitest';
import {
  attention,
  attentionReference,
  dequantizeMatMulNBitsRef,
  f32Gemm,
  f32GemmRef,
  hadamardTransform,
  hadamardTransformRef,
  hasRelaxedSimd,
  type Kernels,
  loadKernels,
  loadMatMulNBits,
  matMulNBits,
  matMulNBitsRef,
  packF32Gemm,
} from '../../src/index';
import { expectClose, randomFloats, seeded } from '../kernel-tester';

// Collected by a plain `vitest run` in Node too (the Node config's test/**/*.test.ts); it only
// means something in a browser, so it is skipped there (the package's test script excludes it).
const inBrowser = typeof window === 'object' && typeof document === 'object';

function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

/**
 * The bound of src/qn-gemm/matmul-nbits.test.ts: A is staged as int16 per block (|error| <=
 * max|a_block| / 65534 per element), plus fp32 rounding of the sum.
 */
function errorBound(
  a: Float32Array,
  w: Float64Array,
  row: number,
  column: number,
  k: number,
  blockSize: number,
): number {
  let bound = 0;
  let magnitude = 0;
  for (let start = 0; start < k; start += blockSize) {
    let amax = 0;
    let wsum = 0;
    for (let p = start; p < Math.min(k, start + blockSize); p++) {
      amax = Math.max(amax, Math.abs(a[row * k + p]));
      wsum += Math.abs(w[column * k + p]);
      magnitude += Math.abs(a[row * k + p] * w[column * k + p]);
    }
    bound += (amax / 65534) * wsum;
  }
  return bound + 1e-5 * magnitude + 1e-6;
}

let loaded: Promise<Kernels> | undefined;
function kernels(): Promise<Kernels> {
  loaded ??= loadKernels();
  return loaded;
}

describe.skipIf(!inBrowser)('@x/kernels-wasm in Chromium through Vite', () => {
  it('detects relaxed SIMD and loads the relaxed module over HTTP by itself', async () => {
    expect(navigator.userAgent).toMatch(/Chrom/);
    expect(hasRelaxedSimd()).toBe(true);
    const instance = await kernels();
    expect(instance.options).toEqual({ isa: 'relaxed', shared: false, maximumMemoryBytes: 2 ** 31 });
    const fetched = performance
      .getEntriesByType('resource')
      .map((entry) => entry.name)
      .filter((name) => name.endsWith('.wasm'));
    expect(fetched.length).toBe(1);
    expect(new URL(fetched[0]).protocol).toBe('http:');
    expect(fetched[0]).toMatch(/\/wasm\/x-kernels-relaxed\.wasm$/);
  });

  it('fp32 GEMM matches the twin', async () => {
    // Same tolerance as src/f32-gemm/f32-gemm.test.ts.
    const tolerance = { absolute: 2e-5, relative: 1e-4 };
    const instance = await kernels();
    const random = seeded(101);
    for (const [m, k, n] of [
      [1, 37, 19],
      [5, 13, 9],
      [66, 31, 23],
    ]) {
      const a = randomFloats(random, m * k);
      const b = randomFloats(random, k * n);
      const bias = randomFloats(random, n);
      const weights = packF32Gemm(instance, b, { k, n, bias });
      expectClose(f32Gemm(instance, a, weights, { m }), f32GemmRef(a, b, { m, k, n }, bias), tolerance);
      weights.dispose();
    }
  });

  it.each([4, 8] as const)('%i-bit MatMulNBits matches the twin within the staging bound', async (bits) => {
    const instance = await kernels();
    const random = seeded(140 + bits);
    for (const [m, k, n, blockSize, withZeroPoints] of [
      [1, 100, 7, 32, true],
      [3, 256, 9, 128, false],
    ] as Array<[number, number, number, number, boolean]>) {
      const kBlocks = Math.ceil(k / blockSize);
      const weights = {
        b: randomBytes(random, n * kBlocks * ((blockSize * bits) / 8)),
        scales: randomFloats(random, n * kBlocks, 0.1),
        zeroPoints: withZeroPoints ? randomBytes(random, n * Math.ceil((kBlocks * bits) / 8)) : undefined,
        k,
        n,
        bits,
        blockSize,
      };
      const a = randomFloats(random, m * k);
      const y = matMulNBits(instance, a, loadMatMulNBits(instance, weights), { m });
      const expected = matMulNBitsRef(a, m, weights);
      const w = dequantizeMatMulNBitsRef(weights);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          const error = Math.abs(y[i * n + j] - expected[i * n + j]);
          const bound = errorBound(a, w, i, j, k, blockSize);
          if (!(error <= bound)) expect.fail(`bits=${bits} (${i}, ${j}): error ${error} > bound ${bound}`);
        }
    }
  });

  it('Hadamard transform matches the twin (power of two and a non-power-of-two order)', async () => {
    // Same tolerance as src/hadamard/hadamard-transform.test.ts.
    const tolerance = { absolute: 2e-6, relative: 1e-5 };
    const instance = await kernels();
    const random = seeded(105);
    for (const n of [1, 64, 4096, 172 * 4]) {
      const x = randomFloats(random, 3 * n);
      expectClose(hadamardTransform(instance, x, { n, rows: 3 }), hadamardTransformRef(x, n, 3), tolerance);
    }
  });

  it('dense attention (GQA, causal and not) matches the twin', async () => {
    // Same tolerance as test/attention-dense.test.ts.
    const tolerance = { absolute: 1e-5, relative: 1e-4 };
    const instance = await kernels();
    const random = seeded(106);
    const shape = { numHeads: 4, numKvHeads: 2, queryLength: 7, kvLength: 19, headDim: 32 };
    const input = {
      ...shape,
      query: randomFloats(random, shape.numHeads * shape.queryLength * shape.headDim),
      key: randomFloats(random, shape.numKvHeads * shape.kvLength * shape.headDim),
      value: randomFloats(random, shape.numKvHeads * shape.kvLength * shape.headDim),
    };
    for (const causal of [false, true])
      expectClose(attention(instance, input, { causal }), attentionReference(input, { causal }), tolerance);
  });
});
