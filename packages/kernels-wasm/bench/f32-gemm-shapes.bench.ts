/**
 * fp32 GEMM at the shapes its callers run, 2 threads (and 1) vs onnxruntime-node MatMul (1 and 2
 * intra-op threads) on the same shapes, interleaved sample by sample in one process:
 * - @x/quant-rotate: activations [T, 896] times a 896 x 896 rotation, T = 2048 and 8192 tokens;
 * - @x/prune (SparseGPT block update on a Qwen2.5-0.5B down projection): [896 x 4864] x [4864 x 128].
 * Ours reads A from and writes C to kernel memory (KernelBuffers); ORT copies its input and output
 * (that is what a caller of ORT pays too). Wall and process CPU time per call, load average. ORT-node's 2-thread
 * pool does not spin (allow_spinning 0): a spinning pool thread took a core from the sample after it.
 */
import os from 'node:os';
import { createKernelPool, f32Gemm, packF32Gemm, parallelF32Gemm } from '../src/index';
import { hasRelaxedSimd } from '../src/runtime/features';
import { matMulModel } from './ort-models';
import { createOrtRunner } from './ort-session';
import { emit, timeInterleavedWallCpu } from './timing';

function randomMatrix(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

export const callerShapes: Array<{ caller: string; m: number; k: number; n: number }> = [
  { caller: 'quant-rotate rotation, T = 2048', m: 2048, k: 896, n: 896 },
  { caller: 'quant-rotate rotation, T = 8192', m: 8192, k: 896, n: 896 },
  { caller: 'prune SparseGPT block, 896 x 4864 x 128', m: 896, k: 4864, n: 128 },
];

export async function benchF32GemmShapes(peakGflops: number): Promise<void> {
  const isas: Array<'simd' | 'relaxed'> = hasRelaxedSimd() ? ['simd', 'relaxed'] : ['simd'];
  for (const { caller, m, k, n } of callerShapes) {
    const a = randomMatrix(m * k, 1);
    const b = randomMatrix(k * n, 2);
    const flop = 2 * m * k * n;
    const loadBefore = os.loadavg();
    const node1 = await createOrtRunner('node', matMulModel(m, k, n, b), 1);
    const node2 = await createOrtRunner('node', matMulModel(m, k, n, b), 2, { spinning: false });
    const bodies: Record<string, () => unknown> = {
      'ort-node-1': () => node1.run(a, [m, k]),
      'ort-node-2': () => node2.run(a, [m, k]),
    };
    const cleanups: Array<() => Promise<void>> = [];
    for (const isa of isas) {
      const pool = await createKernelPool({ threads: 2, isa });
      const weights = packF32Gemm(pool.kernels, b, { k, n });
      const aBuffer = pool.kernels.alloc('float32', m * k);
      aBuffer.view().set(a);
      const out = pool.kernels.alloc('float32', m * n);
      if (isa === 'simd') bodies[`${isa}-1`] = () => f32Gemm(pool.kernels, aBuffer, weights, { m, out });
      bodies[`${isa}-2`] = () => parallelF32Gemm(pool, aBuffer, weights, { m, out });
      cleanups.push(async () => {
        weights.dispose();
        aBuffer.free();
        out.free();
        await pool.dispose();
      });
    }
    const { wall, cpu } = await timeInterleavedWallCpu(bodies, 5);
    const loadAfter = os.loadavg();
    const gflops = (ms: number) => +(flop / ms / 1e6).toFixed(1);
    for (const [key, threads] of [
      ['simd-1', 1],
      ['simd-2', 2],
      ['relaxed-2', 2],
    ] as const) {
      if (wall[key] === undefined) continue;
      const baseline = threads === 1 ? 'ort-node-1' : 'ort-node-2';
      emit({
        bench: 'f32-gemm-shapes',
        caller,
        shape: `${m}x${k}x${n}`,
        isa: key.split('-')[0],
        threads,
        ms: +wall[key].toFixed(3),
        cpuMs: +cpu[key].toFixed(3),
        gflops: gflops(wall[key]),
        cpuGflops: gflops(cpu[key]),
        fractionOfPeak: +(flop / wall[key] / 1e6 / (threads * peakGflops)).toFixed(2),
        ortNodeMs: +wall[baseline].toFixed(3),
        ortNodeCpuMs: +cpu[baseline].toFixed(3),
        ortNodeGflops: gflops(wall[baseline]),
        speedupVsOrtNode: +(wall[baseline] / wall[key]).toFixed(2),
        cpuSpeedupVsOrtNode: +(cpu[baseline] / cpu[key]).toFixed(2),
        ...(key === 'simd-2' ? { speedupVsOneThread: +(wall['simd-1'] / wall[key]).toFixed(2) } : {}),
        loadAverage: {
          before: loadBefore.map((value) => +value.toFixed(2)),
          after: loadAfter.map((value) => +value.toFixed(2)),
        },
      });
    }
    for (const cleanup of cleanups) await cleanup();
    await node1.release();
    await node2.release();
  }
}
