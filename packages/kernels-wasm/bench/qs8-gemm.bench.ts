/**
 * W8A8 int8 x int8 -> int32 GEMM vs ONNX MatMulInteger on onnxruntime-web and -node (1 thread,
 * interleaved). GOP/s counts 2 ops per multiply-add. Also checks the results agree.
 */
import { loadKernels, packQs8Gemm, qs8Gemm } from '../src/index';
import { matMulIntegerModel } from './ort-models';
import { createOrtRunner } from './ort-session';
import { emit, timeInterleaved } from './timing';

function int8s(length: number, seed: number): Int8Array {
  const out = new Int8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state >>> 24) - 128;
  }
  return out;
}

export async function benchQs8Gemm(): Promise<void> {
  const kernels = await loadKernels({ isa: 'simd' });
  for (const [m, k, n] of [
    [1, 4096, 4096],
    [128, 1024, 1024],
    [512, 512, 512],
  ]) {
    const a = int8s(m * k, 5);
    const b = int8s(k * n, 6);
    const model = matMulIntegerModel(m, k, n, b);
    const web = await createOrtRunner('web', model, 1);
    const native = await createOrtRunner('node', model, 1);
    const weights = packQs8Gemm(kernels, b, { k, n });
    const aBuffer = kernels.alloc('int8', m * k);
    aBuffer.view().set(a);
    const out = kernels.alloc('int32', m * n);
    const ours = qs8Gemm(kernels, aBuffer, weights, { m, out });
    const theirs = await web.run(a, [m, k]);
    let agree = true;
    for (let i = 0; i < m * n; i++) if (ours[i] !== theirs[i]) agree = false;
    const times = await timeInterleaved({
      wasm: () => qs8Gemm(kernels, aBuffer, weights, { m, out }),
      web: () => web.run(a, [m, k]),
      node: () => native.run(a, [m, k]),
    });
    const ops = 2 * m * k * n;
    emit({
      bench: 'qs8-gemm',
      shape: `${m}x${k}x${n}`,
      threads: 1,
      ms: +times.wasm.toFixed(3),
      gops: +(ops / times.wasm / 1e6).toFixed(1),
      ortWebMs: +times.web.toFixed(3),
      ortNodeMs: +times.node.toFixed(3),
      speedupVsOrtWeb: +(times.web / times.wasm).toFixed(2),
      speedupVsOrtNode: +(times.node / times.wasm).toFixed(2),
      matchesOrtWeb: agree,
    });
    weights.dispose();
    aBuffer.free();
    out.free();
    await web.release();
    await native.release();
  }
}
