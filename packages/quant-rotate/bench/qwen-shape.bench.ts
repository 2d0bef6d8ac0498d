/**
 * DartQuant W4 on a Qwen2.5-0.5B-shape decoder with random weights (issue 6): calibration wall and CPU
 * seconds and peak RSS (VmHWM, × the fp32 weight bytes), the W4 model's size against fp32 (with and without
 * the embedding), and greedy decode tokens/s of the W4 model beside fp32 on onnxruntime-node.
 *
 * Opt-in (GBs of memory, minutes), one process per run, wrapped in the shared bench lock:
 *   X_QUANT_BENCH_QWEN=1 X_QUANT_BENCH_QWEN_RUN=calibrate flock /tmp/x-bench.lock \
 *     node --expose-gc --conditions=@x/source --import tsx bench/run-all.ts qwen-shape
 *   X_QUANT_BENCH_QWEN=1 X_QUANT_BENCH_QWEN_RUN=decode flock /tmp/x-bench.lock \
 *     node --expose-gc --conditions=@x/source --import tsx bench/run-all.ts qwen-shape
 * `calibrate` writes the W4 model to X_QUANT_BENCH_QWEN_OUT (default /tmp/x-quant-qwen-w4); `decode` reads it
 * and builds the fp32 model again from the same seed, then times both sessions in one process.
 * Env: X_QUANT_BENCH_QWEN_LAYERS (24; fewer for profiling), _VOCAB (151936), _SAMPLES (8) × _SEQLEN (256)
 * seeded random calibration tokens, _CAPTURE_TOKENS (64 token rows kept per R1 sample), _R1_BATCH_TOKENS
 * (4096), _EMBEDDING (0; 1 = 4-bit embedding through GatherBlockQuantized), _THREADS (2), _PROMPT (64),
 * _NEW (32).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  buildDecoderModel,
  createDecoderWeights,
  createRng,
  type DecoderConfig,
  generate,
  loadBackend,
  OnnxModel,
  readModel,
  writeModel,
} from '@x/core';
import { quantizeModel } from '../src/index';
import { emit } from './timing';

const env = (name: string, fallback: number) => Number(process.env[`X_QUANT_BENCH_QWEN_${name}`] ?? fallback);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const mib = (bytes: number) => round(bytes / 2 ** 20, 0);

/** VmHWM / VmRSS from /proc (bytes). */
function memory(): { hwm: number; rss: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { hwm: field('VmHWM'), rss: field('VmRSS') };
}

/** Resets VmHWM to the current RSS (Linux `clear_refs` 5), so the peak measures what follows. */
function resetPeak(): void {
  (globalThis as { gc?: () => void }).gc?.();
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Reported as peak_reset: false.
  }
}

function qwenConfig(): DecoderConfig {
  return {
    vocabSize: env('VOCAB', 151936),
    hiddenSize: 896,
    numLayers: env('LAYERS', 24),
    numHeads: 14,
    numKvHeads: 2,
    headDim: 64,
    intermediateSize: 4864, // 76·64: R4 uses the order-76 Hadamard factor
    rmsNormEps: 1e-6,
    ropeTheta: 1000000,
    tieWordEmbeddings: true,
    maxPositionEmbeddings: 4096,
  };
}

const buildFp32 = (config: DecoderConfig) =>
  new OnnxModel(buildDecoderModel(config, createDecoderWeights(config, { seed: 0, scale: 0.5 })));

const outDir = () => process.env.X_QUANT_BENCH_QWEN_OUT ?? '/tmp/x-quant-qwen-w4';

async function calibrate(): Promise<void> {
  const config = qwenConfig();
  const built = performance.now();
  const model = buildFp32(config);
  const initializers = model.listInitializers();
  const fp32Bytes = initializers.reduce((s, i) => s + (i.byteLength ?? 0), 0);
  const embeddingBytes = config.vocabSize * config.hiddenSize * 4;
  const buildSeconds = (performance.now() - built) / 1000;
  const afterBuild = memory();
  const rng = createRng(0);
  const sequences = Array.from({ length: env('SAMPLES', 8) }, () =>
    Array.from({ length: env('SEQLEN', 256) }, () => Math.floor(rng.next() * config.vocabSize)),
  );
  resetPeak();
  const atReset = memory();
  const phases: Record<string, { wall_s: number; peak_rss_mib: number }> = {};
  let phase = '';
  let phaseStart = performance.now();
  const close = (now: number) => {
    if (!phase) return;
    const previous = phases[phase]?.wall_s ?? 0;
    phases[phase] = { wall_s: round(previous + (now - phaseStart) / 1000), peak_rss_mib: mib(memory().hwm) };
  };
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const { model: quantized, report } = await quantizeModel(model, {
    rotate: 'dartquant',
    weightBits: 4,
    groupSize: 128,
    quantizeLmHead: true,
    quantizeEmbedding: env('EMBEDDING', 0) === 1,
    inPlace: true,
    calibration: { sequences },
    dartquant: {
      r1: { maxTokensPerBatch: env('R1_BATCH_TOKENS', 4096) },
      captureTokensPerSample: env('CAPTURE_TOKENS', 64),
    },
    onProgress: (event) => {
      if (event.phase === phase) return;
      const now = performance.now();
      close(now);
      process.stderr.write(
        `${JSON.stringify({ phase: event.phase, at_s: round((now - started) / 1000), peak_rss_mib: mib(memory().hwm) })}\n`,
      );
      phase = event.phase;
      phaseStart = now;
    },
  });
  const end = performance.now();
  close(end);
  const cpu = process.cpuUsage(cpu0);
  const peak = memory().hwm;
  const w4Bytes = report.initializerBytes.after;
  // the embedding's bytes in the W4 model: 4-bit codes + float32 scales per 128 channels, or the fp32 table
  const w4EmbeddingBytes = report.embedding
    ? (config.vocabSize * config.hiddenSize) / 2 +
      (config.vocabSize * config.hiddenSize * 4) / report.embedding.blockSize
    : embeddingBytes;
  const written = await writeModel(quantized, join(outDir(), 'model.onnx'));
  const fileBytes = written.files.reduce((s, f) => s + statSync(f).size, 0);
  emit({
    bench: 'qwen-shape-calibrate',
    config: { ...config, tieWordEmbeddings: true },
    calibration: {
      sequences: sequences.length,
      seqlen: sequences[0].length,
      tokens: 'seeded random ids',
      r1_tokens_kept_per_sample: report.rotation.dartquant?.r1.tokensPerSample,
      r1_max_tokens_per_batch: env('R1_BATCH_TOKENS', 4096),
    },
    options:
      'dartquant R1 (paper defaults: 10 epochs, 10% of samples per epoch, batch 64, SGD 0.9, lr 1e-3) + R2 per layer (paper defaults), R3/R4 online, W4 g128 symmetric RTN, LM head W4, inPlace, kernels-wasm',
    fp32_weight_bytes: fp32Bytes,
    build_s: round(buildSeconds),
    rss_after_build_mib: mib(afterBuild.rss),
    peak_reset: atReset.hwm < afterBuild.hwm || atReset.hwm === atReset.rss,
    calibrate_wall_s: round((end - started) / 1000),
    calibrate_cpu_s: round((cpu.user + cpu.system) / 1e6),
    phases,
    peak_rss_mib: mib(peak),
    peak_rss_over_fp32: round(peak / fp32Bytes, 2),
    w4_initializer_bytes: w4Bytes,
    w4_file_bytes: fileBytes,
    w4_over_fp32_with_embedding: round(w4Bytes / fp32Bytes, 3),
    w4_over_fp32_without_embedding: round((w4Bytes - w4EmbeddingBytes) / (fp32Bytes - embeddingBytes), 3),
    embedding: report.embedding ?? 'fp32 Gather',
    dartquant_r1: report.rotation.dartquant?.r1,
    dartquant_r2_layer0: report.rotation.dartquant?.r2[0],
    warnings: report.warnings,
    loadavg: loadavg().map((v) => round(v, 2)),
    cores: cpus().length,
    node: process.version,
  });
}

async function decodeRow(config: DecoderConfig, model: OnnxModel, threads: number) {
  const session = await (await loadBackend('node')).createSession(model, { threads });
  try {
    const rng = createRng(7);
    const inputIds = Array.from({ length: env('PROMPT', 64) }, () =>
      Math.floor(rng.next() * config.vocabSize),
    );
    await generate(session, { inputIds, maxNewTokens: 4 }); // warm-up
    const runs = [];
    for (let i = 0; i < 3; i++)
      runs.push(await generate(session, { inputIds, maxNewTokens: env('NEW', 32) }));
    runs.sort((a, b) => a.decodeTokensPerSecond - b.decodeTokensPerSecond);
    return {
      decode_tokens_per_s: round(runs[1].decodeTokensPerSecond, 2),
      prefill_ms: round(runs[1].prefillMs, 0),
      tokens: runs[1].tokens,
    };
  } finally {
    await session.release();
  }
}

async function decode(): Promise<void> {
  const config = qwenConfig();
  const threads = env('THREADS', 2);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const w4Model = await readModel(join(outDir(), 'model.onnx'));
  const w4 = await decodeRow(config, w4Model, threads);
  w4Model.close();
  const fp32 = await decodeRow(config, buildFp32(config), threads);
  const cpu = process.cpuUsage(cpu0);
  const agree = w4.tokens.findIndex((t, i) => t !== fp32.tokens[i]);
  emit({
    bench: 'qwen-shape-decode',
    backend: 'onnxruntime-node',
    threads,
    prompt_tokens: env('PROMPT', 64),
    new_tokens: env('NEW', 32),
    greedy: true,
    fp32_tokens_per_s: fp32.decode_tokens_per_s,
    w4_tokens_per_s: w4.decode_tokens_per_s,
    w4_over_fp32: round(w4.decode_tokens_per_s / fp32.decode_tokens_per_s, 2),
    fp32_prefill_ms: fp32.prefill_ms,
    w4_prefill_ms: w4.prefill_ms,
    greedy_tokens_equal_prefix: agree === -1 ? w4.tokens.length : agree,
    wall_s: round((performance.now() - started) / 1000),
    cpu_s: round((cpu.user + cpu.system) / 1e6),
    peak_rss_mib: mib(memory().hwm),
    loadavg: loadavg().map((v) => round(v, 2)),
  });
}

export async function benchQwenShape(): Promise<void> {
  if (process.env.X_QUANT_BENCH_QWEN !== '1') {
    emit({ bench: 'qwen-shape', skipped: 'set X_QUANT_BENCH_QWEN=1 (several GB of memory, minutes)' });
    return;
  }
  const run = process.env.X_QUANT_BENCH_QWEN_RUN ?? 'calibrate';
  if (run === 'calibrate') await calibrate();
  else if (run === 'decode') await decode();
  else emit({ bench: 'qwen-shape', error: `X_QUANT_BENCH_QWEN_RUN must be calibrate or decode, got ${run}` });
}
