/**
 * Speed and memory of pruneModel on a Qwen2.5-0.5B-shaped decoder with random weights (hidden 896, 24 layers, 14
 * heads / 2 KV heads, head 64, MLP 4864, vocab 151936, tied embeddings: 494M parameters, 1.98 GB fp32), 32 × 512
 * calibration tokens, onnxruntime-node. One run per process so the peak RSS is that run's.
 * Opt-in (minutes, GBs): `PRUNE_BENCH_QWEN=1 pnpm --filter @x/prune bench qwen` runs wanda, wanda+dsnot and
 * sparsegpt (with `PRUNE_BENCH_QWEN_LIMIT_S`, default 900 s, per run), or directly:
 * `node --expose-gc --conditions=@x/source --import tsx bench/qwen-shape.ts wanda+dsnot [layers] [timeLimitSeconds]`
 * (`layers` < 24 prunes only the first layers of the full model: its memory is the full run's (the model and its
 * pruned copy), and the row extrapolates the time to 24 layers from the per-layer time; CPU seconds are reported
 * beside wall time because the machine is shared).
 * SparseGPT runs on @x/kernels-wasm (pruneModel's default: its Cholesky and lazy batch updates as WASM GEMMs);
 * `PRUNE_BENCH_SPARSEGPT_LINALG=typescript` runs the plain TypeScript path instead (the row's `sparseGptLinearAlgebra`).
 * Peak RSS: VmHWM of /proc/self/status, reset (`/proc/self/clear_refs` 5) after the model is built, so it measures
 * the pruning run (the model, its pruned copy, ORT's block sessions, the residual stream, the statistics).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import {
  buildDecoderModel,
  createDecoderWeights,
  createRng,
  type DecoderConfig,
  loadBackend,
  OnnxModel,
} from '@x/core';
import { type PruneModelOptions, pruneModel } from '../src/index';
import { emit } from './timing';

export const QWEN05_SHAPE: DecoderConfig = {
  vocabSize: 151936,
  hiddenSize: 896,
  numLayers: 24,
  numHeads: 14,
  numKvHeads: 2,
  headDim: 64,
  intermediateSize: 4864,
  rmsNormEps: 1e-6,
  ropeTheta: 1000000,
  tieWordEmbeddings: true,
};

export const QWEN_RUNS: Record<string, PruneModelOptions> = {
  wanda: { method: 'wanda', sparsity: 0.5 },
  'wanda+dsnot': { method: 'wanda', sparsity: 0.5, dsnot: { updateThreshold: (0.1 * 512) / 2048 } },
  sparsegpt: { method: 'sparsegpt', sparsity: 0.5 },
};

function statusKb(field: string): number {
  const match = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
  return match ? Number(match[1]) : Number.NaN;
}

async function main(): Promise<void> {
  const run = process.argv[2] ?? 'wanda';
  const options = QWEN_RUNS[run];
  if (!options) throw new Error(`unknown run ${run}; one of ${Object.keys(QWEN_RUNS).join(', ')}`);
  const prunedLayers = Number(process.argv[3] ?? QWEN05_SHAPE.numLayers);
  const timeLimitSeconds = Number(process.argv[4] ?? 0);
  const samples = 32;
  const seqlen = 512;
  const config = QWEN05_SHAPE;
  let built = Date.now();
  const model = (() => {
    const weights = createDecoderWeights(config, { seed: 1, scale: 0.5 });
    return new OnnxModel(buildDecoderModel(config, weights));
  })();
  built = (Date.now() - built) / 1000;
  const weightBytes = model.listInitializers().reduce((total, info) => total + (info.byteLength ?? 0), 0);
  (globalThis as { gc?: () => void }).gc?.();
  const afterBuildKb = statusKb('VmRSS');
  const buildPeakKb = statusKb('VmHWM');
  writeFileSync('/proc/self/clear_refs', '5');
  const rng = createRng(0);
  const calibration = Array.from({ length: samples }, () =>
    Array.from({ length: seqlen }, () => rng.int(config.vocabSize)),
  );
  const backend = await loadBackend('node');
  const sparseGptLinearAlgebra =
    options.method === 'sparsegpt'
      ? process.env.PRUNE_BENCH_SPARSEGPT_LINALG === 'typescript'
        ? 'typescript'
        : 'kernels-wasm'
      : undefined;
  // pruneModel runs SparseGPT on @x/kernels-wasm by default; `kernels: undefined` selects the TypeScript loops.
  const methodOptions =
    sparseGptLinearAlgebra === 'typescript' ? { kernels: undefined } : options.methodOptions;
  const controller = new AbortController();
  const timer =
    timeLimitSeconds > 0 ? setTimeout(() => controller.abort(), timeLimitSeconds * 1000) : undefined;
  let layersDone = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const row: Record<string, unknown> = {
    bench: 'qwen-shape',
    run,
    config: 'Qwen2.5-0.5B shape, random weights (scale 0.5), vocab 151936, tied',
    parameters: weightBytes / 4,
    weightBytes,
    calibration: `${samples}x${seqlen}`,
    prunedLayers,
    ...(sparseGptLinearAlgebra ? { sparseGptLinearAlgebra } : {}),
    buildSeconds: built,
    rssAfterBuildMb: Math.round(afterBuildKb / 1024),
    buildPeakRssMb: Math.round(buildPeakKb / 1024),
  };
  try {
    const { report } = await pruneModel(model, {
      ...options,
      methodOptions,
      calibration,
      backend,
      measureError: false,
      layers: Array.from({ length: prunedLayers }, (_, layer) => layer),
      signal: controller.signal,
      onProgress: ({ phase, done }) => {
        if (phase === 'prune-layer') layersDone = done;
      },
    });
    row.completed = true;
    row.sparsity = Number(report.sparsity.toFixed(4));
    const { captureSeconds, allocationSeconds, totalSeconds } = report.timings;
    const perLayer = (totalSeconds - captureSeconds - allocationSeconds) / prunedLayers;
    row.secondsPerLayer = Number(perLayer.toFixed(1));
    row.estimatedSeconds24Layers = Number(
      (captureSeconds + allocationSeconds + perLayer * config.numLayers).toFixed(0),
    );
    row.prunePhaseSecondsPerLayer = Number((report.timings.pruneSeconds / prunedLayers).toFixed(1));
    row.phasesSeconds = Object.fromEntries(
      Object.entries(report.timings).map(([name, seconds]) => [
        name.replace('Seconds', ''),
        Number(seconds.toFixed(1)),
      ]),
    );
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    row.completed = false;
    row.stoppedAfterSeconds = timeLimitSeconds;
    row.layersDone = layersDone;
  } finally {
    clearTimeout(timer);
  }
  const peakKb = statusKb('VmHWM');
  row.wallSeconds = Number(((performance.now() - start) / 1000).toFixed(1));
  const cpu = process.cpuUsage(cpuStart);
  row.cpuSeconds = Number(((cpu.user + cpu.system) / 1e6).toFixed(1));
  row.loadAverage = os.loadavg().map((value) => Number(value.toFixed(1)));
  row.peakRssMb = Math.round(peakKb / 1024);
  row.peakRssOverWeights = Number(((peakKb * 1024) / weightBytes).toFixed(2));
  emit(row);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
