/**
 * 2:4 sparse GEMM (compressed weights, token-vectorised) vs the dense fp32 GEMM on the same
 * (pruned) weight and vs onnxruntime-web MatMul, one thread, interleaved. On CPUs 2:4 has no
 * hardware support: the honest expectation is <= 1.5x over dense (sparse-attn-kernels.md §11).
 */
import {
  compressNmWeights,
  f32Gemm,
  loadKernels,
  loadNmSparse,
  nmSparseGemm,
  packF32Gemm,
} from '../src/index';
import { matMulModel } from './ort-models';
import { createOrtRunner } from './ort-session';
import { emit, timeInterleaved } from './timing';

export async function benchNmSparse(): Promise<void> {
  const kernels = await loadKernels({ isa: 'simd' });
  for (const [t, k, n] of [
    [128, 2048, 2048],
    [1, 2048, 2048],
  ]) {
    const weight = new Float32Array(n * k).map((_, i) => Math.sin(i * 0.37));
    const compressed = compressNmWeights(weight, { rows: n, columns: k, kept: 2, group: 4 });
    // The dense baseline multiplies by the same pruned weight, as [k, n] for ORT.
    const pruned = new Float32Array(k * n);
    for (let r = 0; r < n; r++)
      for (let e = 0; e < k / 2; e++)
        pruned[(Math.floor(e / 2) * 4 + compressed.indices[r * (k / 2) + e]) * n + r] =
          compressed.values[r * (k / 2) + e];
    const sparse = loadNmSparse(kernels, compressed);
    const dense = packF32Gemm(kernels, pruned, { k, n });
    const x = new Float32Array(t * k).map((_, i) => Math.cos(i));
    const xBuffer = kernels.alloc('float32', t * k);
    xBuffer.view().set(x);
    const out = kernels.alloc('float32', t * n);
    const web = await createOrtRunner('web', matMulModel(t, k, n, pruned), 1);
    const times = await timeInterleaved({
      sparse: () => nmSparseGemm(kernels, xBuffer, sparse, { t, out }),
      dense: () => f32Gemm(kernels, xBuffer, dense, { m: t, out }),
      web: () => web.run(x, [t, k]),
    });
    emit({
      bench: 'nm-sparse-gemm',
      pattern: '2:4',
      shape: `${t}x${k}x${n}`,
      threads: 1,
      ms: +times.sparse.toFixed(3),
      effectiveGflops: +((2 * t * k * n) / times.sparse / 1e6).toFixed(1),
      denseWasmMs: +times.dense.toFixed(3),
      ortWebMs: +times.web.toFixed(3),
      speedupVsDenseWasm: +(times.dense / times.sparse).toFixed(2),
      speedupVsOrtWeb: +(times.web / times.sparse).toFixed(2),
    });
    sparse.dispose();
    dense.dispose();
    xBuffer.free();
    out.free();
    await web.release();
  }
}
