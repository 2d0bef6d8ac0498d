/**
 * fp32 GEMM: wasm 4x8 kernel (SIMD128 and relaxed FMA) vs onnxruntime-web MatMul (and -node), one
 * thread, same process. Target (issue 4): >= 1.5x onnxruntime-web at 512^3 and 1024^3.
 */
import { createKernelPool, f32Gemm, loadKernels, packF32Gemm, parallelF32Gemm } from '../src/index';
import { hasRelaxedSimd } from '../src/runtime/features';
import { matMulModel } from './ort-models';
import { createOrtRunner } from './ort-session';
import { emit, timeInterleaved, timeMedian } from './timing';

function randomMatrix(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

export async function benchF32Gemm(peakGflops: number): Promise<void> {
  const isas: Array<'simd' | 'relaxed'> = hasRelaxedSimd() ? ['simd', 'relaxed'] : ['simd'];
  for (const [m, k, n] of [
    [512, 512, 512],
    [1024, 1024, 1024],
    [1, 4096, 4096],
  ]) {
    const a = randomMatrix(m * k, 1);
    const b = randomMatrix(k * n, 2);
    const flop = 2 * m * k * n;
    const web = await createOrtRunner('web', matMulModel(m, k, n, b), 1);
    const native = await createOrtRunner('node', matMulModel(m, k, n, b), 1);
    const bodies: Record<string, () => unknown> = {
      web: () => web.run(a, [m, k]),
      node: () => native.run(a, [m, k]),
    };
    const cleanups: Array<() => void> = [];
    for (const isa of isas) {
      const kernels = await loadKernels({ isa });
      const weights = packF32Gemm(kernels, b, { k, n });
      const aBuffer = kernels.alloc('float32', m * k);
      aBuffer.view().set(a);
      const out = kernels.alloc('float32', m * n);
      bodies[isa] = () => f32Gemm(kernels, aBuffer, weights, { m, out });
      cleanups.push(() => {
        weights.dispose();
        aBuffer.free();
        out.free();
      });
    }
    const times = await timeInterleaved(bodies, { repeats: m === 1 ? 9 : 5 });
    for (const isa of isas) {
      const ms = times[isa];
      const gflops = flop / ms / 1e6;
      emit({
        bench: 'f32-gemm',
        shape: `${m}x${k}x${n}`,
        isa,
        threads: 1,
        ms: +ms.toFixed(3),
        gflops: +gflops.toFixed(1),
        fractionOfPeak: +(gflops / peakGflops).toFixed(2),
        ortWebMs: +times.web.toFixed(3),
        ortNodeMs: +times.node.toFixed(3),
        speedupVsOrtWeb: +(times.web / ms).toFixed(2),
        speedupVsOrtNode: +(times.node / ms).toFixed(2),
      });
    }
    for (const cleanup of cleanups) cleanup();
    await web.release();
    await native.release();
  }
}

/** 2 threads vs 1 on GEMM 1024^3 (target >= 1.7x), beside onnxruntime-web with 2 threads. */
export async function benchF32GemmThreads(peakGflops: number): Promise<void> {
  const [m, k, n] = [1024, 1024, 1024];
  const a = randomMatrix(m * k, 1);
  const b = randomMatrix(k * n, 2);
  const flop = 2 * m * k * n;
  const web = await createOrtRunner('web', matMulModel(m, k, n, b), 2);
  const webMs = await timeMedian(() => web.run(a, [m, k]), { repeats: 5 });
  await web.release();
  const isas: Array<'simd' | 'relaxed'> = hasRelaxedSimd() ? ['simd', 'relaxed'] : ['simd'];
  for (const isa of isas) {
    const pool = await createKernelPool({ threads: 2, isa });
    const weights = packF32Gemm(pool.kernels, b, { k, n });
    const aBuffer = pool.kernels.alloc('float32', m * k);
    aBuffer.view().set(a);
    const out = pool.kernels.alloc('float32', m * n);
    const times = await timeInterleaved(
      {
        one: () => f32Gemm(pool.kernels, aBuffer, weights, { m, out }),
        two: () => parallelF32Gemm(pool, aBuffer, weights, { m, out }),
      },
      { repeats: 7 },
    );
    const oneMs = times.one;
    const twoMs = times.two;
    await pool.dispose();
    emit({
      bench: 'f32-gemm-threads',
      shape: `${m}x${k}x${n}`,
      isa,
      threads: 2,
      ms: +twoMs.toFixed(3),
      oneThreadMs: +oneMs.toFixed(3),
      speedupVsOneThread: +(oneMs / twoMs).toFixed(2),
      gflops: +(flop / twoMs / 1e6).toFixed(1),
      fractionOfPeak: +(flop / twoMs / 1e6 / (2 * peakGflops)).toFixed(2),
      ortWeb2ThreadsMs: +webMs.toFixed(3),
      speedupVsOrtWeb2Threads: +(webMs / twoMs).toFixed(2),
    });
  }
}
