/**
 * DartQuant W4 on a Qwen2.5-0.5B-shape decoder with random weights (issue 6, item 3): calibration wall time,
 * peak RSS against the fp32 weight bytes, 4-bit size against fp32 (with and without the embedding), and
 * greedy decode tokens/s of the W4 model beside fp32 on onnxruntime-node, in one process.
 * Opt-in (several GB, minutes): `X_QUANT_BENCH_QWEN=1 pnpm --filter @x/quant-rotate bench qwen-shape`.
 * Env: X_QUANT_BENCH_QWEN_VOCAB (default 151936, the real vocabulary), X_QUANT_BENCH_QWEN_SAMPLES (8) ×
 * X_QUANT_BENCH_QWEN_SEQLEN (256) random calibration tokens, X_QUANT_BENCH_QWEN_THREADS (2).
 */
import {
  buildDecoderModel,
  createDecoderWeights,
  createRng,
  type DecoderConfig,
  generate,
  loadBackend,
  OnnxModel,
} from '@x/core';
import { quantizeModel } from '../src/index';
import { emit } from './timing';

const gib = (bytes: number) => Number((bytes / 2 ** 30).toFixed(3));
const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;

async function decodeTokensPerSecond(model: OnnxModel, threads: number, vocab: number) {
  const session = await (await loadBackend('node')).createSession(model, { threads });
  try {
    const rng = createRng(7);
    const inputIds = Array.from({ length: 32 }, () => Math.floor(rng.next() * vocab));
    await generate(session, { inputIds, maxNewTokens: 4 }); // warm-up
    const runs = [];
    for (let i = 0; i < 3; i++)
      runs.push((await generate(session, { inputIds, maxNewTokens: 32 })).decodeTokensPerSecond);
    return Number(runs.sort((a, b) => a - b)[1].toFixed(2));
  } finally {
    await session.release();
  }
}

export async function benchQwenShape(): Promise<void> {
  if (process.env.X_QUANT_BENCH_QWEN !== '1') {
    emit({ bench: 'qwen-shape', skipped: 'set X_QUANT_BENCH_QWEN=1 (several GB of memory, minutes)' });
    return;
  }
  const env = (name: string, fallback: number) =>
    Number(process.env[`X_QUANT_BENCH_QWEN_${name}`] ?? fallback);
  const config: DecoderConfig = {
    vocabSize: env('VOCAB', 151936),
    hiddenSize: 896,
    numLayers: 24,
    numHeads: 14,
    numKvHeads: 2,
    headDim: 64,
    intermediateSize: 4864, // 76·64: R4 uses the order-76 Hadamard factor
    rmsNormEps: 1e-6,
    ropeTheta: 1000000,
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 4096,
  };
  const threads = env('THREADS', 2);
  const started = performance.now();
  const model = new OnnxModel(
    buildDecoderModel(config, createDecoderWeights(config, { seed: 0, scale: 0.5 })),
  );
  const fp32Bytes = model.listInitializers().reduce((s, i) => s + (i.byteLength ?? 0), 0);
  const embeddingBytes = config.vocabSize * config.hiddenSize * 4;
  const buildSeconds = (performance.now() - started) / 1000;
  const rssAfterBuild = maxRssBytes();
  const rng = createRng(0);
  const sequences = Array.from({ length: env('SAMPLES', 8) }, () =>
    Array.from({ length: env('SEQLEN', 256) }, () => Math.floor(rng.next() * config.vocabSize)),
  );
  const phases: Record<string, number> = {};
  let phase = '';
  let phaseStart = performance.now();
  const quantizeStart = performance.now();
  const { model: quantized, report } = await quantizeModel(model, {
    rotate: 'dartquant',
    weightBits: 4,
    groupSize: 128,
    quantizeLmHead: true,
    calibration: { sequences },
    dartquant: { r1: { maxTokensPerBatch: 4096 } },
    onProgress: (event) => {
      if (event.phase === phase) return;
      const now = performance.now();
      // Progress on stderr (phase, seconds since start, peak RSS), so a run cut short still shows where time went.
      process.stderr.write(
        `${JSON.stringify({ phase: event.phase, at_seconds: Number(((now - started) / 1000).toFixed(1)), peak_rss_gib: gib(maxRssBytes()) })}\n`,
      );
      if (phase) phases[phase] = Number(((phases[phase] ?? 0) + (now - phaseStart) / 1000).toFixed(1));
      phase = event.phase;
      phaseStart = now;
    },
  });
  const quantizeSeconds = (performance.now() - quantizeStart) / 1000;
  if (phase) phases[`${phase} (to the end)`] = Number(((performance.now() - phaseStart) / 1000).toFixed(1));
  const rssAfterQuantize = maxRssBytes();
  const w4Bytes = report.initializerBytes.after;
  const row = {
    bench: 'qwen-shape',
    config,
    calibration: { sequences: sequences.length, seqlen: sequences[0].length, tokens: 'seeded random ids' },
    options: 'dartquant R1/R2 (paper defaults, R1 batches capped at 4096 tokens), W4 g128 RTN, LM head W4',
    fp32_weight_gib: gib(fp32Bytes),
    build_seconds: Number(buildSeconds.toFixed(1)),
    quantize_seconds: Number(quantizeSeconds.toFixed(1)),
    quantize_phase_seconds: phases,
    peak_rss_gib_after_build: gib(rssAfterBuild),
    peak_rss_gib_after_quantize: gib(rssAfterQuantize),
    peak_rss_over_fp32: Number((rssAfterQuantize / fp32Bytes).toFixed(2)),
    w4_gib: gib(w4Bytes),
    w4_over_fp32_with_embedding: Number((w4Bytes / fp32Bytes).toFixed(3)),
    w4_over_fp32_without_embedding: Number(
      ((w4Bytes - embeddingBytes) / (fp32Bytes - embeddingBytes)).toFixed(3),
    ),
    dartquant_r1_whip: [report.rotation.dartquant?.r1.whipBefore, report.rotation.dartquant?.r1.whipAfter],
    warnings: report.warnings,
  };
  emit(row);
  const fp32 = await decodeTokensPerSecond(model, threads, config.vocabSize);
  const w4 = await decodeTokensPerSecond(quantized, threads, config.vocabSize);
  emit({
    bench: 'qwen-shape-decode',
    backend: 'onnxruntime-node',
    threads,
    prompt_tokens: 32,
    new_tokens: 32,
    fp32_tokens_per_second: fp32,
    w4_tokens_per_second: w4,
    speedup: Number((w4 / fp32).toFixed(2)),
    peak_rss_gib_process: gib(maxRssBytes()),
    total_seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  });
}
