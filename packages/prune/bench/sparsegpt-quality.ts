/**
 * SparseGPT on the trained reference LM (@x/reference-lm, 9.2M-parameter Llama) with its linear algebra in plain
 * TypeScript and on @x/kernels-wasm (`methodOptions.kernels`): held-out perplexity of each, beside the dense model,
 * same calibration and protocol as reference-quality.ts (calibration `samples` × 512 tokens of data/calibration.txt,
 * seed 0; perplexity over the first `maxWindows` 512-token windows of data/heldout.txt).
 * Run: `node --conditions=@x/source --import tsx bench/sparsegpt-quality.ts [maxWindows] [samples] [sparsity,...]`
 * (sparsities: `0.5`, `2:4`, ...; default `0.5`).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  evaluatePerplexity,
  loadBackend,
  loadCalibrationFile,
  loadTokenizer,
  type OnnxModel,
  readModel,
} from '@x/core';
import { getKernels } from '@x/kernels-wasm';
import { type PruneModelOptions, pruneModel } from '../src/index';
import { emit } from './timing';

const referenceDir = new URL('../../reference-lm/', import.meta.url).pathname;
const modelDir = join(referenceDir, 'model');
const maxWindows = Number(process.argv[2] ?? 64);
const samples = Number(process.argv[3] ?? 32);
const sparsities = (process.argv[4] ?? '0.5')
  .split(',')
  .map((value): PruneModelOptions['sparsity'] => (value.includes(':') ? (value as '2:4') : Number(value)));
const seqlen = 512;

const tokenizer = await loadTokenizer(modelDir);
const heldout = tokenizer.encode(readFileSync(join(referenceDir, 'data/heldout.txt'), 'utf8'), {
  addSpecialTokens: false,
});
const calibration = await loadCalibrationFile(join(referenceDir, 'data/calibration.txt'), modelDir, {
  samples,
  seqlen,
  seed: 0,
});
const backend = await loadBackend('node');
const kernels = await getKernels();

async function perplexity(model: OnnxModel): Promise<number> {
  const session = await backend.createSession(model);
  try {
    return (await evaluatePerplexity(session, heldout, { seqlen, maxWindows })).perplexity;
  } finally {
    await session.release();
  }
}

const dense = await readModel(join(modelDir, 'onnx', 'model.onnx'));
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
      methodOptions: linearAlgebra === 'kernels-wasm' ? { kernels } : {},
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
