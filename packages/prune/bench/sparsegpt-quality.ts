/**
 * SparseGPT on the trained reference LM (@x/reference-lm, 9.2M-parameter Llama) with its linear algebra in plain
 * TypeScript and on @x/kernels-wasm (`methodOptions.kernels`): held-out perplexity of each, beside the dense model,
 * same calibration and protocol as reference-quality.ts (calibration `samples` × 512 tokens of data/calibration.txt,
 * seed 0; perplexity over the first `maxWindows` 512-token windows of data/heldout.txt).
 * Run: `node --conditions=@x/source --import tsx bench/sparsegpt-quality.ts [maxWindows] [samples] [sparsity,...]`
 * (sparsities: `0.5`, `2:4`, ...; default `0.5`).
 */
import os from 'node:os';
import { getKernels } from '@x/kernels-wasm';
import { type PruneModelOptions, pruneModel } from '../src/index';
import { loadReferenceSetup } from './reference-setup';
import { emit } from './timing';

const maxWindows = Number(process.argv[2] ?? 64);
const samples = Number(process.argv[3] ?? 32);
const sparsities = (process.argv[4] ?? '0.5')
  .split(',')
  .map((value): PruneModelOptions['sparsity'] => (value.includes(':') ? (value as '2:4') : Number(value)));
const { dense, calibration, backend, perplexity } = await loadReferenceSetup({
  samples,
  seqlen: 512,
  maxWindows,
});
const kernels = await getKernels();

const densePpl = await perplexity(dense);
emit({ bench: 'sparsegpt-quality', run: 'dense', ppl: Number(densePpl.toFixed(3)), maxWindows, samples });
for (const sparsity of sparsities) {
  for (const linearAlgebra of ['typescript', 'kernels-wasm'] as const) {
    const cpu = process.cpuUsage();
    const { model, report } = await pruneModel(dense, {
      method: 'sparsegpt',
      sparsity,
      calibration,
      backend,
      methodOptions: { kernels: linearAlgebra === 'kernels-wasm' ? kernels : undefined },
    });
    const used = process.cpuUsage(cpu);
    const ppl = await perplexity(model);
    emit({
      bench: 'sparsegpt-quality',
      run: `sparsegpt ${sparsity}`,
      linearAlgebra,
      ppl: Number(ppl.toFixed(3)),
      densePpl: Number(densePpl.toFixed(3)),
      ratioToDense: Number((ppl / densePpl).toFixed(3)),
      pruneModelSeconds: Number(report.timings.totalSeconds.toFixed(2)),
      prunePhaseSeconds: Number(report.timings.pruneSeconds.toFixed(2)),
      pruneModelCpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(2)),
      loadAverage: os.loadavg().map((value) => Number(value.toFixed(1))),
    });
  }
}
