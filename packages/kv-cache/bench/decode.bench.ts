// Decode throughput of split mode beside stock mode (full cache), same model, same backend, one process.
// Rows are JSON lines; `ratio` = split tok/s ÷ stock tok/s of the same (model, backend). Goal: ratio >= 0.9 on node.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type BackendName,
  buildDecoderModel,
  createDecoderWeights,
  type DecoderConfig,
  loadBackend,
  OnnxModel,
  readModel,
} from '@x/core';
import { createGenerator, type Generator, type GeneratorResult } from '../src/index';

interface BenchModel {
  name: string;
  note: string;
  load: () => Promise<OnnxModel>;
}

const referenceDir = fileURLToPath(new URL('../../reference-lm/model', import.meta.url));

function builderModel(config: DecoderConfig): () => Promise<OnnxModel> {
  return async () =>
    new OnnxModel(buildDecoderModel(config, createDecoderWeights(config, { seed: 1, scale: 0.5 })));
}

/** Qwen2.5-0.5B's shape with random weights; the vocabulary is cut to 32000 (from 151936) to fit memory/time. */
const qwen05: DecoderConfig = {
  vocabSize: 32000,
  hiddenSize: 896,
  numLayers: 24,
  numHeads: 14,
  numKvHeads: 2,
  headDim: 64,
  intermediateSize: 4864,
  rmsNormEps: 1e-6,
  ropeTheta: 1000000,
  tieWordEmbeddings: true,
  maxPositionEmbeddings: 4096,
};

/** The reference LM's shape (packages/reference-lm/model/config.json) built with random weights. */
const referenceShape: DecoderConfig = {
  vocabSize: 4096,
  hiddenSize: 256,
  numLayers: 9,
  numHeads: 8,
  numKvHeads: 4,
  headDim: 32,
  intermediateSize: 768,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
  maxPositionEmbeddings: 2048,
};

const models: Record<string, BenchModel> = {
  reference: {
    name: 'reference-lm (torch.onnx export)',
    note: 'trained weights, the torch.onnx export as is',
    load: () => readModel(fileURLToPath(new URL('onnx/model.onnx', `file://${referenceDir}/`))),
  },
  'reference-shape': {
    name: 'reference-lm shape (builder decoder)',
    note: 'random weights, config of packages/reference-lm',
    load: builderModel(referenceShape),
  },
  qwen05: {
    name: 'Qwen2.5-0.5B shape (builder decoder)',
    note: 'random weights, vocab cut to 32000',
    load: builderModel(qwen05),
  },
};

// qwen05 (about 6 GB and several minutes) runs only when asked: X_KV_BENCH_MODELS=qwen05.
const selected = (process.env.X_KV_BENCH_MODELS ?? 'reference,reference-shape').split(',');
const backends = (process.env.X_KV_BENCH_BACKENDS ?? 'node,web').split(',') as BackendName[];
const promptTokens = Number(process.env.X_KV_BENCH_PROMPT ?? 128);
const newTokens = Number(process.env.X_KV_BENCH_NEW ?? 32);
const repeats = Number(process.env.X_KV_BENCH_REPEATS ?? 3);
const threads = process.env.X_KV_BENCH_THREADS ? Number(process.env.X_KV_BENCH_THREADS) : undefined;
// Each mode runs with its own defaults, as a user gets them: stock mode with ORT's (intra-op spinning on), split mode
// with `splitSessionOptions` (spinning off). `X_KV_BENCH_SPINNING=off` turns spinning off for both.
const spinningOff = process.env.X_KV_BENCH_SPINNING === 'off';
const ortOptions = spinningOff ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : undefined;
// `X_KV_BENCH_SPLIT_THREADS=on-stop,on` adds split-mode rows with other ORT thread settings (README, Results):
// spinning on and stopped after each run, or ORT's default spinning.
const splitThreadVariants: Record<string, Record<string, unknown>> = {
  'on-stop': { extra: { session: { intra_op: { allow_spinning: '1' }, force_spinning_stop: '1' } } },
  on: { extra: { session: { intra_op: { allow_spinning: '1' } } } },
};
const extraSplit = (process.env.X_KV_BENCH_SPLIT_THREADS ?? '').split(',').filter(Boolean);
for (const variant of extraSplit) {
  if (!splitThreadVariants[variant]) throw new Error(`unknown X_KV_BENCH_SPLIT_THREADS variant ${variant}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const golden = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../reference-lm/golden.json', import.meta.url)), 'utf8'),
);
const longIds: number[] = golden.prompts.find((prompt: { name: string }) => prompt.name === 'long').inputIds;

for (const key of selected) {
  const spec = models[key];
  if (!spec) throw new Error(`unknown bench model ${key}`);
  const model = await spec.load();
  for (const backendName of backends) {
    const backend = await loadBackend(backendName);
    // Both generators stay open and their runs alternate, so load spikes on the shared machine hit both modes.
    const modes = ['stock', 'split', ...extraSplit.map((variant) => `split-${variant}`)];
    const rows: Record<string, Record<string, unknown>> = {};
    const generators: Partial<Record<string, Generator>> = {};
    for (const mode of modes) {
      const variant = mode.startsWith('split-') ? mode.slice('split-'.length) : undefined;
      rows[mode] = {
        bench: 'decode',
        model: spec.name,
        note: spec.note,
        backend: backendName,
        mode,
        policy: 'full',
        promptTokens,
        newTokens,
        threads: threads ?? 'ort-default',
        spinning: variant
          ? variant === 'on-stop'
            ? 'on, stopped after each run'
            : 'ort-default (on)'
          : spinningOff
            ? 'off'
            : mode === 'split'
              ? 'off (split default)'
              : 'ort-default (on)',
      };
      const sessionOrtOptions = variant ? splitThreadVariants[variant] : ortOptions;
      try {
        generators[mode] = await createGenerator(model, {
          mode: mode === 'stock' ? 'stock' : 'split',
          backend,
          sessionOptions: {
            ...(threads ? { threads } : {}),
            ...(sessionOrtOptions ? { ortOptions: sessionOrtOptions } : {}),
          },
        });
      } catch (error) {
        rows[mode].error = `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.slice(
          0,
          300,
        );
      }
    }
    const runs: Record<string, GeneratorResult[]> = Object.fromEntries(modes.map((mode) => [mode, []]));
    for (let r = -1; r < repeats; r++) {
      for (const mode of modes) {
        const generator = generators[mode];
        if (!generator) continue;
        const vocab = generator.vocabSize ?? 4096;
        const prompt = longIds.slice(0, promptTokens).map((id) => id % vocab);
        const result = await generator.generate(prompt, { maxNewTokens: r < 0 ? 4 : newTokens });
        if (r >= 0) runs[mode].push(result);
      }
    }
    for (const mode of modes) {
      const done = runs[mode];
      if (done.length > 0) {
        const speed = median(done.map((run) => run.decodeTokensPerSecond));
        Object.assign(rows[mode], {
          decodeTokensPerSecond: Number(speed.toFixed(2)),
          prefillMs: Number(median(done.map((run) => run.prefillMs)).toFixed(1)),
          kvResidentBytes: done[0].kvBytes.resident,
          kvPeakBytes: done[0].kvBytes.peak,
        });
      }
      await generators[mode]?.release();
    }
    const stockSpeed = rows.stock.decodeTokensPerSecond as number | undefined;
    for (const mode of modes.filter((name) => name !== 'stock')) {
      const splitSpeed = rows[mode].decodeTokensPerSecond as number | undefined;
      if (stockSpeed && splitSpeed) rows[mode].ratioToStock = Number((splitSpeed / stockSpeed).toFixed(3));
    }
    for (const mode of modes) console.log(JSON.stringify(rows[mode]));
  }
}
