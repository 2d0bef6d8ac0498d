/**
 * int4 / int8 weight-only GEMV and small GEMM on MatMulNBits weights: wasm kernel vs
 * onnxruntime-web and onnxruntime-node MatMulNBits on the same bytes, one thread, interleaved.
 * Targets (issue 4): int4 GEMV K=N=2048 block 32 >= 10x onnxruntime-web and >= 0.5x -node.
 */
import { loadKernels, loadMatMulNBits, matMulNBits } from '../src/index';
import { matMulNBitsModel } from './ort-models';
import { createOrtRunner } from './ort-session';
import { emit, timeInterleaved } from './timing';

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

export async function benchMatMulNBits(): Promise<void> {
  const kernels = await loadKernels({ isa: 'simd' });
  for (const [m, k, n, bits, blockSize] of [
    [1, 2048, 2048, 4, 32],
    [1, 4096, 4096, 4, 32],
    [1, 2048, 2048, 4, 128],
    [1, 2048, 2048, 8, 32],
    [16, 2048, 2048, 4, 32],
  ] as const) {
    const kBlocks = Math.ceil(k / blockSize);
    const b = bytes(n * kBlocks * ((blockSize * bits) / 8), 3);
    const scales = new Float32Array(n * kBlocks).fill(0.01);
    const a = new Float32Array(m * k).map((_, i) => Math.sin(i));
    const model = matMulNBitsModel(m, k, n, bits, blockSize, b, scales);
    const web = await createOrtRunner('web', model, 1);
    const native = await createOrtRunner('node', model, 1);
    const weights = loadMatMulNBits(kernels, { b, scales, k, n, bits, blockSize });
    const aBuffer = kernels.alloc('float32', m * k);
    aBuffer.view().set(a);
    const out = kernels.alloc('float32', m * n);
    const times = await timeInterleaved({
      wasm: () => matMulNBits(kernels, aBuffer, weights, { m, out }),
      web: () => web.run(a, [m, k]),
      node: () => native.run(a, [m, k]),
    });
    const weightBytes = b.length + scales.length * 4;
    emit({
      bench: 'matmul-nbits',
      shape: `${m}x${k}x${n}`,
      bits,
      blockSize,
      threads: 1,
      ms: +times.wasm.toFixed(4),
      weightGBps: +(weightBytes / times.wasm / 1e6).toFixed(2),
      gflops: +((2 * m * k * n) / times.wasm / 1e6).toFixed(1),
      ortWebMs: +times.web.toFixed(4),
      ortNodeMs: +times.node.toFixed(4),
      speedupVsOrtWeb: +(times.web / times.wasm).toFixed(2),
      speedupVsOrtNode: +(times.node / times.wasm).toFixed(2),
    });
    weights.dispose();
    aBuffer.free();
    out.free();
    await web.release();
    await native.release();
  }
}
