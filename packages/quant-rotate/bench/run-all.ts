/** `pnpm --filter @x/quant-rotate bench`: every benchmark, one JSON line per row, on stdout. */
import { benchCores } from './cores.bench';
import { benchMatMulNBits, benchOnlineHadamard } from './ort-rows.bench';
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
};
for (const [name, run] of Object.entries(suites)) if (only.length === 0 || only.includes(name)) await run();
