/**
 * `pnpm --filter @x/prune bench`: every prune benchmark in one process, one JSON line per row, each beside its ORT
 * baseline (a layer's or the model's dense forward over the same calibration tokens). Pass suite names to run some.
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchCores } from './cores.bench';
import { benchModel } from './model.bench';
import { QWEN_RUNS } from './qwen-shape';
import { emit } from './timing';

/** Opt-in (`PRUNE_BENCH_QWEN=1`): each Qwen2.5-0.5B-shape run in its own process, so each peak RSS is its own. */
async function benchQwenShape(): Promise<void> {
  if (!process.env.PRUNE_BENCH_QWEN) {
    emit({ bench: 'qwen-shape', skipped: 'set PRUNE_BENCH_QWEN=1 (minutes, about 5 GB of memory per run)' });
    return;
  }
  const limit = process.env.PRUNE_BENCH_QWEN_LIMIT_S ?? '900';
  const script = fileURLToPath(new URL('./qwen-shape.ts', import.meta.url));
  for (const run of Object.keys(QWEN_RUNS)) {
    spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '--conditions=@x/source',
        '--import',
        'tsx',
        script,
        run,
        process.env.PRUNE_BENCH_QWEN_LAYERS ?? '24',
        limit,
      ],
      { stdio: 'inherit' },
    );
  }
}

const only = process.argv.slice(2);
const suites: Record<string, () => Promise<void>> = {
  cores: benchCores,
  model: benchModel,
  qwen: benchQwenShape,
};
emit({ bench: 'environment', node: process.version, note: 'machine shared with other jobs: expect noise' });
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await run();
}
