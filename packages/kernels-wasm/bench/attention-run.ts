/**
 * `node --import tsx bench/attention-run.ts [attention-dense] [attention-causal] [attention-block-sparse] [attention-kivi-decode]`:
 * the attention benchmarks alone, one JSON line per row (see attention.bench.ts).
 */
import {
  benchAttentionBlockSparse,
  benchAttentionCausal,
  benchAttentionDense,
  benchAttentionKiviDecode,
} from './attention.bench';
import { emit } from './timing';

const suites: Record<string, () => Promise<void>> = {
  'attention-dense': benchAttentionDense,
  'attention-causal': benchAttentionCausal,
  'attention-block-sparse': benchAttentionBlockSparse,
  'attention-kivi-decode': benchAttentionKiviDecode,
};
const only = process.argv.slice(2);
emit({
  bench: 'environment',
  node: process.version,
  threads: 1,
  note: 'machine shared with other jobs: medians of interleaved samples',
});
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  await run();
}
