/**
 * ORT rows: what this package writes into graphs, each beside its fp32 ORT baseline, same process, 1 thread.
 * - `matmul-nbits`: our 4-bit g128 MatMulNBits (RTN-packed) vs an fp32 MatMul with the same weight.
 * - `online-hadamard`: the two-MatMul Kronecker Hadamard (R4) vs a dense n x n MatMul.
 */
import { createTensor, loadBackend, type OnnxModel } from '@x/core';
import { emitMatMulNBits } from '../src/graph/emit-matmul-nbits';
import { emitOnlineHadamard } from '../src/graph/emit-online-hadamard';
import { ensureFloatInitializer, insertNodesBefore, makeNode } from '../src/graph/onnx-nodes';
import { createHadamard, factorHadamard, packMatMulNBits, quantizeRtn } from '../src/index';
import { randomMatrix } from '../src/internal/test-helpers';
import { emptyModel } from '../test/helpers';
import { emit, medians } from './timing';

type BackendName = 'node' | 'web';

async function session(backend: BackendName, model: OnnxModel) {
  return (await loadBackend(backend)).createSession(model, { threads: 1 });
}

export async function benchMatMulNBits(): Promise<void> {
  for (const backend of ['node', 'web'] as const) {
    for (const [k, n] of [
      [1024, 1024],
      [1024, 2816],
    ]) {
      const w = randomMatrix(n, k, k + n);
      const ours = emptyModel([['A', ['m', k]]], [['Y', ['m', n]]]);
      const packed = packMatMulNBits(quantizeRtn(w, { bits: 4, groupSize: 128 }).quantized);
      insertNodesBefore(ours, undefined, [
        emitMatMulNBits(ours, packed, { name: 'q', weightName: 'w', input: 'A', output: 'Y' }),
      ]);
      const baseline = emptyModel([['A', ['m', k]]], [['Y', ['m', n]]]);
      const wt = new Float32Array(k * n);
      for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) wt[c * n + r] = w.data[r * k + c];
      ensureFloatInitializer(baseline, 'W', [k, n], wt);
      insertNodesBefore(baseline, undefined, [makeNode('MatMul', ['A', 'W'], ['Y'], { name: 'mm' })]);
      const [s1, s2] = [await session(backend, ours), await session(backend, baseline)];
      for (const m of [1, 128]) {
        const a = createTensor('float32', [m, k], Float32Array.from(randomMatrix(m, k, 5).data));
        const t = await medians({ ours: () => s1.run({ A: a }), baseline: () => s2.run({ A: a }) });
        emit({
          bench: 'matmul-nbits',
          backend,
          shape: { m, k, n },
          ours: 'MatMulNBits bits=4 block=128 (RTN, symmetric)',
          ours_ms: t.ours,
          baseline: 'MatMul fp32',
          baseline_ms: t.baseline,
          speedup: Number((t.baseline / t.ours).toFixed(3)),
          weight_bytes: { ours: packed.b.length + packed.scales.length * 4, baseline: k * n * 4 },
        });
      }
      await s1.release();
      await s2.release();
    }
  }
}

export async function benchOnlineHadamard(): Promise<void> {
  for (const backend of ['node', 'web'] as const) {
    for (const n of [1536, 2816, 5632]) {
      const ours = emptyModel([['X', ['t', n]]], [['Y', ['t', n]]]);
      const { nodes } = emitOnlineHadamard(ours, 'X', { n, scope: '/r4' });
      nodes[nodes.length - 1].output = ['Y'];
      insertNodesBefore(ours, undefined, nodes);
      const dense = emptyModel([['X', ['t', n]]], [['Y', ['t', n]]]);
      const h = createHadamard(n).data;
      const ht = new Float32Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ht[j * n + i] = h[i * n + j];
      ensureFloatInitializer(dense, 'H', [n, n], ht);
      insertNodesBefore(dense, undefined, [makeNode('MatMul', ['X', 'H'], ['Y'], { name: 'dense' })]);
      const [s1, s2] = [await session(backend, ours), await session(backend, dense)];
      for (const t of [1, 64]) {
        const x = createTensor('float32', [t, n], Float32Array.from(randomMatrix(t, n, 7).data));
        const times = await medians({ ours: () => s1.run({ X: x }), baseline: () => s2.run({ X: x }) });
        emit({
          bench: 'online-hadamard',
          backend,
          shape: { tokens: t, n },
          ours: `Shape+Reshape+MatMul(H_${factorHadamard(n).powerOfTwo})+MatMul(H_${factorHadamard(n).k})+Reshape`,
          ours_ms: times.ours,
          baseline: 'dense MatMul n x n fp32',
          baseline_ms: times.baseline,
          speedup: Number((times.baseline / times.ours).toFixed(3)),
        });
      }
      await s1.release();
      await s2.release();
    }
  }
}
