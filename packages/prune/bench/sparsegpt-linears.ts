/**
 * Where SparseGPT's prune phase spends its time on the Qwen2.5-0.5B shape: the seven linears of one decoder layer
 * (q 896×896, k/v 128×896, o 896×896, gate/up 4864×896, down 896×4864), random weights and a synthetic damped
 * Hessian per input width (rank-48 Gram matrix, every 97th channel 20× larger, + 0.1·scale² on the diagonal), 50%
 * unstructured. Per linear: `factor` = the first call on a Hessian (the Cholesky factorization/inverse of the damped
 * H, via `scoreSparseGpt`; linears that share an input reuse it, as in pruneModel), `obs` = the OBS sweep
 * (`pruneSparseGpt` with the factor cached); wall and CPU seconds, and the layer's sum.
 * Run: `node --conditions=@x/source --import tsx bench/sparsegpt-linears.ts [kernels-wasm|typescript]`
 * (typescript: about 2 CPU-minutes, most of it down_proj's 4864-wide factorization).
 */
import os from 'node:os';
import { createRng } from '@x/core';
import { getKernels } from '@x/kernels-wasm';
import { pruneSparseGpt, type SparseGptOptions, scoreSparseGpt } from '../src/index';
import { emit } from './timing';

function syntheticHessian(k: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const rank = 48;
  const g = new Float64Array(k * rank);
  const scale = new Float64Array(k);
  for (let j = 0; j < k; j++) scale[j] = j % 97 === 0 ? 20 : 1;
  for (let q = 0; q < g.length; q++) g[q] = (rng.next() * 2 - 1) * scale[Math.floor(q / rank)];
  const h = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = 0;
      for (let t = 0; t < rank; t++) sum += g[a * rank + t] * g[b * rank + t];
      h[a * k + b] = sum;
      h[b * k + a] = sum;
    }
    h[a * k + a] += 0.1 * scale[a] * scale[a];
  }
  return h;
}

function timed(run: () => void): { wall: number; cpu: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  run();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}

const linearAlgebra = process.argv[2] ?? 'kernels-wasm';
if (linearAlgebra !== 'kernels-wasm' && linearAlgebra !== 'typescript') {
  throw new Error(`unknown linear algebra ${linearAlgebra}; kernels-wasm or typescript`);
}
const options: SparseGptOptions = linearAlgebra === 'kernels-wasm' ? { kernels: await getKernels() } : {};
const linears: [string, number, number, number][] = [
  ['q', 896, 896, 1],
  ['k', 128, 896, 1],
  ['v', 128, 896, 1],
  ['o', 896, 896, 2],
  ['gate', 4864, 896, 3],
  ['up', 4864, 896, 3],
  ['down', 896, 4864, 4],
];
const hessians = new Map<number, Float64Array>();
const total = { factorWall: 0, factorCpu: 0, obsWall: 0, obsCpu: 0 };
const pattern = { kind: 'unstructured', sparsity: 0.5 } as const;
// One warm-up on a small layer so the first row does not carry the JIT's compile time.
pruneSparseGpt(
  { data: new Float32Array(64 * 256).fill(1), rows: 64, columns: 256 },
  syntheticHessian(256, 0),
  pattern,
  options,
);
for (const [name, rows, columns, input] of linears) {
  let hessian = hessians.get(input);
  const fresh = hessian === undefined;
  if (!hessian) {
    hessian = syntheticHessian(columns, input);
    hessians.set(input, hessian);
  }
  const rng = createRng(input * 10 + rows);
  const data = new Float32Array(rows * columns);
  for (let q = 0; q < data.length; q++) data[q] = rng.next() - 0.5;
  const weight = { data, rows, columns };
  const h = hessian;
  const factor = fresh ? timed(() => scoreSparseGpt(weight, h, options)) : { wall: 0, cpu: 0 };
  const obs = timed(() => pruneSparseGpt(weight, h, pattern, options));
  total.factorWall += factor.wall;
  total.factorCpu += factor.cpu;
  total.obsWall += obs.wall;
  total.obsCpu += obs.cpu;
  emit({
    bench: 'sparsegpt-linears',
    linearAlgebra,
    linear: name,
    rows,
    columns,
    factorSeconds: Number(factor.wall.toFixed(3)),
    factorCpuSeconds: Number(factor.cpu.toFixed(3)),
    obsSeconds: Number(obs.wall.toFixed(3)),
    obsCpuSeconds: Number(obs.cpu.toFixed(3)),
  });
}
emit({
  bench: 'sparsegpt-linears',
  linearAlgebra,
  linear: 'layer (sum)',
  factorSeconds: Number(total.factorWall.toFixed(2)),
  factorCpuSeconds: Number(total.factorCpu.toFixed(2)),
  obsSeconds: Number(total.obsWall.toFixed(2)),
  obsCpuSeconds: Number(total.obsCpu.toFixed(2)),
  seconds: Number((total.factorWall + total.obsWall).toFixed(2)),
  cpuSeconds: Number((total.factorCpu + total.obsCpu).toFixed(2)),
  loadAverage: os.loadavg().map((value) => Number(value.toFixed(1))),
});
