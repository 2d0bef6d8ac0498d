/**
 * Walsh-Hadamard transform per row vs a dense matmul by the same matrix (our fp32 GEMM on the
 * dense H / sqrt(n), and onnxruntime-web MatMul for n = 4096), 16 rows, one thread, interleaved.
 * Target (issue 4): >= 5x the dense matmul at n = 4096 and 11008 (172 x 64).
 */
import { f32Gemm, hadamardMatrix, hadamardTransform, loadKernels, packF32Gemm } from '../src/index';
import { matMulModel } from './ort-models';
import { createOrtRunner, type OrtRunner } from './ort-session';
import { emit, timeInterleaved } from './timing';

export async function benchHadamard(): Promise<void> {
  const kernels = await loadKernels({ isa: 'simd' });
  const rows = 16;
  for (const n of [4096, 11008]) {
    const x = new Float32Array(rows * n).map((_, i) => Math.cos(i));
    const h = hadamardMatrix(n);
    const dense = new Float32Array(n * n);
    const scale = 1 / Math.sqrt(n);
    for (let i = 0; i < n * n; i++) dense[i] = h[i] * scale;
    const weights = packF32Gemm(kernels, dense, { k: n, n, transposed: true });
    const xBuffer = kernels.alloc('float32', rows * n);
    xBuffer.view().set(x);
    const out = kernels.alloc('float32', rows * n);
    let web: OrtRunner | undefined;
    if (n <= 4096) {
      // MatMul computes x · B with B[k, n] = H^T / sqrt(n) (H is symmetric for Sylvester).
      web = await createOrtRunner('web', matMulModel(rows, n, n, dense), 1);
    }
    const bodies: Record<string, () => unknown> = {
      fwht: () => hadamardTransform(kernels, xBuffer, { n, rows, out }),
      denseWasm: () => f32Gemm(kernels, xBuffer, weights, { m: rows, out }),
    };
    if (web !== undefined) {
      const runner = web;
      bodies.denseOrtWeb = () => runner.run(x, [rows, n]);
    }
    const times = await timeInterleaved(bodies, { repeats: 7 });
    emit({
      bench: 'hadamard',
      n,
      rows,
      threads: 1,
      msPerRow: +(times.fwht / rows).toFixed(4),
      gbPerSecond: +((2 * 4 * n * rows) / times.fwht / 1e6).toFixed(2),
      denseWasmMsPerRow: +(times.denseWasm / rows).toFixed(4),
      speedupVsDenseWasm: +(times.denseWasm / times.fwht).toFixed(1),
      denseOrtWebMsPerRow: times.denseOrtWeb === undefined ? null : +(times.denseOrtWeb / rows).toFixed(4),
      speedupVsDenseOrtWeb:
        times.denseOrtWeb === undefined ? null : +(times.denseOrtWeb / times.fwht).toFixed(1),
    });
    weights.dispose();
    xBuffer.free();
    out.free();
    await web?.release();
  }
}
