/**
 * Quality on the trained reference LM (@x/reference-lm, 9.2M-parameter Llama): held-out perplexity of the dense model
 * and of each pruning setting, one JSON line per row (each beside the dense baseline, same process).
 * Run: `node --conditions=@x/source --import tsx bench/reference-quality.ts [maxWindows] [samples]`
 * (`ONLY='wanda 50%,sparsegpt 50%'` picks rows).
 * Protocol: calibration = `samples` windows of 512 tokens from data/calibration.txt (seed 0); perplexity on
 * data/heldout.txt, non-overlapping 512-token windows (the first `maxWindows`), core's `evaluatePerplexity`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { evaluatePerplexity, loadBackend, type OnnxModel, readModel } from '@x/core';
import { loadCalibrationFile, type PruneModelOptions, pruneModel } from '../src/index';
import { emit } from './timing';

const referenceDir = new URL('../../reference-lm/', import.meta.url).pathname;
const modelDir = join(referenceDir, 'model');
const maxWindows = Number(process.argv[2] ?? 64);
const samples = Number(process.argv[3] ?? 32);
const seqlen = 512;

const tokenizer = new Tokenizer(
  JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')),
  JSON.parse(readFileSync(join(modelDir, 'tokenizer_config.json'), 'utf8')),
);
const heldout = tokenizer.encode(readFileSync(join(referenceDir, 'data/heldout.txt'), 'utf8'), {
  add_special_tokens: false,
}).ids;
const calibration = await loadCalibrationFile(join(referenceDir, 'data/calibration.txt'), modelDir, {
  samples,
  seqlen,
  seed: 0,
});
const backend = await loadBackend('node');

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
emit({ bench: 'reference-quality', run: 'dense', ppl: Number(densePpl.toFixed(3)), maxWindows, seqlen });
const runs: [string, PruneModelOptions][] = [
  ['magnitude 50%', { method: 'magnitude', sparsity: 0.5 }],
  ['wanda 50%', { method: 'wanda', sparsity: 0.5 }],
  ['wanda+dsnot 50%', { method: 'wanda', sparsity: 0.5, dsnot: true }],
  ['sparsegpt 50%', { method: 'sparsegpt', sparsity: 0.5 }],
  ['sparsegpt+dsnot 50%', { method: 'sparsegpt', sparsity: 0.5, dsnot: true }],
  ['wanda 2:4', { method: 'wanda', sparsity: '2:4' }],
  ['sparsegpt 2:4', { method: 'sparsegpt', sparsity: '2:4' }],
  ['wanda 60%', { method: 'wanda', sparsity: 0.6 }],
  ['wanda+owl 60%', { method: 'wanda', sparsity: 0.6, allocation: 'owl' }],
  ['wanda+dsnot 60%', { method: 'wanda', sparsity: 0.6, dsnot: true }],
  ['sparsegpt 60%', { method: 'sparsegpt', sparsity: 0.6 }],
  // DSnoT's T = 50 swaps per row was set for rows of 4096+ inputs; these rows have 256-768.
  ['wanda+dsnot T=4 50%', { method: 'wanda', sparsity: 0.5, dsnot: { maxCycles: 4 } }],
  ['wanda+dsnot sign-check 50%', { method: 'wanda', sparsity: 0.5, dsnot: { sameSignCheck: true } }],
];
for (const [run, options] of runs) {
  if (process.env.ONLY && !process.env.ONLY.split(',').includes(run)) continue;
  const { model, report } = await pruneModel(dense, {
    ...options,
    calibration,
    backend,
    measureError: false,
    // θ is in token-sum units of 2048-token sequences (brief §3.3 B3): scale it to 512.
    ...(options.dsnot
      ? {
          dsnot: { ...(options.dsnot === true ? {} : options.dsnot), updateThreshold: (0.1 * seqlen) / 2048 },
        }
      : {}),
  });
  const ppl = await perplexity(model);
  emit({
    bench: 'reference-quality',
    run,
    ppl: Number(ppl.toFixed(3)),
    densePpl: Number(densePpl.toFixed(3)),
    ratioToDense: Number((ppl / densePpl).toFixed(3)),
    sparsity: Number(report.sparsity.toFixed(4)),
    pruneSeconds: Number(report.timings.totalSeconds.toFixed(1)),
    calibration: `${samples}x${seqlen}`,
    maxWindows,
  });
}
