/** `pnpm --filter @x/quant-rotate bench`: every benchmark, one JSON line per row, on stdout. */
import { benchCores } from './cores.bench';
import { benchMatMulNBits, benchOnlineHadamard } from './ort-rows.bench';
import { benchQwenShape } from './qwen-shape.bench';
import { emit } from './timing';

emit({
  bench: 'environment',
  node: process.version,
  threads: 1,
  note: 'shared 2-vCPU machine: medians of interleaved samples',
});
const only = process.argv.slice(2);
const suites: Record<string, () => Promise<void>> = {
  'matmul-nbits': benchMatMulNBits,
  'online-hadamard': benchOnlineHadamard,
  cores: benchCores,
  // Opt-in: runs only with X_QUANT_BENCH_QWEN=1 (several GB, minutes); best alone: `bench qwen-shape`.
  'qwen-shape': benchQwenShape,
};
for (const [name, run] of Object.entries(suites)) if (only.length === 0 || only.includes(name)) await run();
