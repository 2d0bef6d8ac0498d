/**
 * `pnpm bench`: every kernel benchmark in one process, one JSON line per row, each beside its ORT
 * baseline. Peak = 16 flop/cycle/core for SIMD128 x the clock measured by a dependent add chain is
 * hard to get portably, so the peak used for `fractionOfPeak` is stated explicitly (env XK_PEAK_GFLOPS,
 * default 64 = 16 flop/cycle x 4 GHz, sparse-attn-kernels.md §9.4).
 */
import { benchF32Gemm, benchF32GemmThreads, benchF32GemmThreadsRoofline } from './f32-gemm.bench';
import { benchF32GemmShapes } from './f32-gemm-shapes.bench';
import { benchHadamard } from './hadamard.bench';
import { benchMatMulNBits } from './matmul-nbits.bench';
import { benchNmSparse } from './nm-sparse.bench';
import { benchQs8Gemm } from './qs8-gemm.bench';
import { emit } from './timing';

const peakGflops = Number(process.env.XK_PEAK_GFLOPS ?? 64);
const only = process.argv.slice(2);
const suites: Record<string, () => Promise<void>> = {
  'f32-gemm': () => benchF32Gemm(peakGflops),
  'f32-gemm-threads': () => benchF32GemmThreads(peakGflops),
  'f32-gemm-threads-roofline': () => benchF32GemmThreadsRoofline(peakGflops),
  'f32-gemm-shapes': () => benchF32GemmShapes(peakGflops),
  'matmul-nbits': () => benchMatMulNBits(),
  hadamard: () => benchHadamard(),
  'qs8-gemm': () => benchQs8Gemm(),
  'nm-sparse': () => benchNmSparse(),
};
emit({
  bench: 'environment',
  node: process.version,
  peakGflopsAssumed: peakGflops,
  note: 'machine shared with other jobs: expect noise',
});
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await run();
}
