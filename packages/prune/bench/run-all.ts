/**
 * `pnpm --filter @x/prune bench`: every prune benchmark in one process, one JSON line per row, each beside its ORT
 * baseline (a layer's or the model's dense forward over the same calibration tokens). Pass suite names to run some.
 */
import { benchCores } from './cores.bench';
import { benchModel } from './model.bench';
import { emit } from './timing';

const only = process.argv.slice(2);
const suites: Record<string, () => Promise<void>> = { cores: benchCores, model: benchModel };
emit({ bench: 'environment', node: process.version, note: 'machine shared with other jobs: expect noise' });
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await run();
}
