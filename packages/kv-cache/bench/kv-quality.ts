/**
 * Acceptance numbers of RazorAttention, KIVI and KVTuner on the reference model (packages/reference-lm), split mode,
 * one JSON object per line on stdout:
 * - `check`: max |logits| difference of split mode (full cache) vs the stock export on 256 held-out tokens;
 * - `profile`: the Razor heads and the KVTuner choice (made here, seeds fixed);
 * - `bytes`: KV bytes held after prefilling N held-out tokens and decoding 8, per policy, vs full (N = 1k, 2k, 4k;
 *   4k is past the 2048 training length: RoPE extrapolates and quality is not claimed there);
 * - `ppl`: held-out perplexity of a teacher-forced continuation (M tokens after a C-token context, token-by-token
 *   decode through the policy, so eviction / packing act exactly as in generation);
 * - `passkey`: accuracy on the reference model's passkey.json trials (first `--trials` per cell);
 * - `speed`: decode tokens/s at 4k context in split mode, kivi4 vs full (same process, alternating runs).
 *
 * Usage: node --conditions=@x/source --import tsx bench/kv-quality.ts [--only bytes,ppl,passkey,speed]
 *   [--trials 2] [--windows 3] [--context 1024] [--continuation 128] [--razor-window 123] [--profiles-dir DIR]
 *   [--passkey-policies full,streaming,razor] [--passkey-lengths 1024,2048]
 */
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  buildPasskeyPrompt,
  loadBackend,
  loadTokenizer,
  type PasskeyTrial,
  parsePasskeyFormat,
  readModel,
  sampleCalibrationSet,
} from '@x/core';
import { getKernels } from '@x/kernels-wasm';
import { createKvPolicy } from '../src/policy/registry';
import type { KvPolicy } from '../src/policy/types';
import { loadKvTunerProfile } from '../src/profile/kvtuner-profile';
import { writeProfileJson } from '../src/profile/profile-file';
import { profileKvTuner } from '../src/profile/profile-kvtuner';
import { profileRazorHeads } from '../src/profile/profile-razor';
import { loadRazorProfile } from '../src/profile/razor-profile';
import { createGenerator } from '../src/runtime/create-generator';
import { createSplitEngine } from '../src/runtime/split-engine';
import { planSplit } from '../src/runtime/split-plan';

const referenceDir = fileURLToPath(new URL('../../reference-lm/', import.meta.url));
const referenceModelDir = `${referenceDir}model`;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    trials: { type: 'string' },
    windows: { type: 'string' },
    context: { type: 'string' },
    continuation: { type: 'string' },
    'razor-window': { type: 'string' },
    'profiles-dir': { type: 'string' },
    'passkey-policies': { type: 'string' },
    'passkey-lengths': { type: 'string' },
    contexts: { type: 'string' },
  },
});
const only = new Set((values.only ?? 'bytes,ppl,passkey,speed').split(','));
const trialsPerCell = Number(values.trials ?? 2);
const windows = Number(values.windows ?? 3);
const contextLength = Number(values.context ?? 1024);
const continuation = Number(values.continuation ?? 128);
const razorWindow = Number(values['razor-window'] ?? 123);
const emit = (row: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(row)}\n`);
const log = (text: string) => process.stderr.write(`${text}\n`);

const began = performance.now();
const model = await readModel(`${referenceModelDir}/onnx/model.onnx`);
const backend = await loadBackend('node');
const kernels = await getKernels();
const tokenizer = await loadTokenizer(referenceModelDir);
const heldout = tokenizer.encode(await readFile(`${referenceDir}data/heldout.txt`, 'utf8'), {
  addSpecialTokens: false,
});
const calibrationText = await readFile(`${referenceDir}data/calibration.txt`, 'utf8');

{
  const ids = heldout.slice(0, 256);
  const stock = await createGenerator(referenceModelDir, { mode: 'stock', backend });
  const split = await createGenerator(model, { mode: 'split', backend });
  const a = await stock.forwardAll(ids);
  const b = await split.forwardAll(ids);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  emit({ kind: 'check', tokens: ids.length, maxAbsLogitDiff: worst });
  await stock.release();
  await split.release();
}

// Profiles are made once per --profiles-dir and re-read (fingerprint-checked) by later runs.
const profilesDir = values['profiles-dir'] ?? join(tmpdir(), 'x-kv-quality');
await mkdir(profilesDir, { recursive: true });
const razorFile = join(profilesDir, 'razor-heads.json');
const kvtunerFile = join(profilesDir, 'kvtuner.json');
const razorProfile = await loadRazorProfile(razorFile, { model }).catch(async () => {
  const profile = await profileRazorHeads(model, { bosId: 0, blockLength: 500, backend });
  await writeProfileJson(razorFile, profile);
  return profile;
});
const kvtunerProfile = await loadKvTunerProfile(kvtunerFile, { model }).catch(async () => {
  const calibration = sampleCalibrationSet(tokenizer.encode(calibrationText, { addSpecialTokens: false }), {
    samples: 4,
    seqlen: 512,
    seed: 0,
  });
  const profile = await profileKvTuner(model, calibration.sequences, { budget: 3.25, backend });
  await writeProfileJson(kvtunerFile, profile);
  return profile;
});
emit({
  kind: 'profile',
  razorHeads: razorProfile.heads,
  razorHeadCount: razorProfile.heads.flat().length,
  kvHeads: razorProfile.fingerprint.numLayers * razorProfile.fingerprint.numKvHeads,
  kvtunerLayers: kvtunerProfile.layers.map((pair) => `K${pair.keyBits}V${pair.valueBits}`),
  kvtunerAverageBits: kvtunerProfile.averageBits,
  kvtunerClusters: kvtunerProfile.clusters,
  seconds: (performance.now() - began) / 1000,
});

/** Slots a Razor cache holds per KV head on average at context n (for a StreamingLLM window of equal budget). */
function razorSlots(n: number): number {
  const kept = razorProfile.heads.flat().length;
  const total = razorProfile.fingerprint.numLayers * razorProfile.fingerprint.numKvHeads;
  return (kept * n + (total - kept) * Math.min(n, 4 + 1 + razorWindow)) / total;
}

function policies(n: number): Record<string, () => KvPolicy> {
  return {
    full: () => createKvPolicy('full'),
    streaming: () =>
      createKvPolicy('streaming', { sinks: 4, window: Math.max(1, Math.round(razorSlots(n)) - 4) }),
    razor: () => createKvPolicy('razor', { profile: razorProfile, window: razorWindow }),
    'razor-no-compensation': () =>
      createKvPolicy('razor', { profile: razorProfile, window: razorWindow, compensation: false }),
    kivi4: () => createKvPolicy('kivi4'),
    kivi2: () => createKvPolicy('kivi2'),
    kvtuner: () => createKvPolicy('kvtuner', { profile: kvtunerProfile }),
  };
}

async function engineFor(policy: KvPolicy, maxPositions = 4096) {
  return createSplitEngine(planSplit(model), backend, policy, kernels, { maxPositions });
}

function nll(logits: Float32Array, target: number): number {
  let peak = Number.NEGATIVE_INFINITY;
  for (const x of logits) peak = Math.max(peak, x);
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - peak);
  return Math.log(sum) + peak - logits[target];
}

if (only.has('bytes')) {
  for (const n of (values.contexts ?? '1024,2048,4096').split(',').map(Number)) {
    const ids = heldout.slice(100000, 100000 + n);
    let fullBytes = 0;
    for (const [name, make] of Object.entries(policies(n))) {
      const generator = await createGenerator(model, {
        mode: 'split',
        backend,
        policy: make(),
        maxPositions: 8192,
      });
      const result = await generator.generate(ids, { maxNewTokens: 8 });
      await generator.release();
      if (name === 'full') fullBytes = result.kvBytes.resident;
      emit({
        kind: 'bytes',
        context: n,
        policy: name,
        resident: result.kvBytes.resident,
        peak: result.kvBytes.peak,
        ratioVsFull: result.kvBytes.resident / fullBytes,
        reduction: 1 - result.kvBytes.resident / fullBytes,
      });
    }
  }
}

if (only.has('ppl')) {
  const starts = Array.from({ length: windows }, (_, w) => 20000 + w * 150000);
  for (const [name, make] of Object.entries(policies(contextLength))) {
    const engine = await engineFor(make());
    let total = 0;
    let count = 0;
    const t0 = performance.now();
    for (const start of starts) {
      const ids = heldout.slice(start, start + contextLength + continuation);
      const run = engine.begin();
      let logits = await run.forward(ids.slice(0, contextLength), 0, false);
      for (let t = contextLength; t < ids.length; t++) {
        total += nll(logits, ids[t]);
        count++;
        if (t + 1 < ids.length) logits = await run.forward([ids[t]], t, false);
      }
      run.dispose();
    }
    await engine.release();
    emit({
      kind: 'ppl',
      policy: name,
      context: contextLength,
      continuation,
      windows,
      perplexity: Math.exp(total / count),
      meanNll: total / count,
      seconds: (performance.now() - t0) / 1000,
    });
  }
}

if (only.has('ppl4k')) {
  // Past the 2048-token training length: full-cache perplexity of 128 tokens after a 3968-token context.
  const engine = await engineFor(createKvPolicy('full'));
  const ids = heldout.slice(150000, 150000 + 4096);
  const run = engine.begin();
  let logits = await run.forward(ids.slice(0, 3968), 0, false);
  let total = 0;
  for (let t = 3968; t < ids.length; t++) {
    total += nll(logits, ids[t]);
    if (t + 1 < ids.length) logits = await run.forward([ids[t]], t, false);
  }
  run.dispose();
  await engine.release();
  emit({
    kind: 'ppl4k',
    policy: 'full',
    context: 3968,
    continuation: 128,
    perplexity: Math.exp(total / 128),
  });
}

if (only.has('passkey')) {
  const spec = JSON.parse(await readFile(`${referenceDir}passkey.json`, 'utf8')) as {
    trials: PasskeyTrial[];
  };
  const format = parsePasskeyFormat(spec);
  const seen = new Map<string, number>();
  const trials = spec.trials.filter((trial) => {
    const cell = `${trial.length}/${trial.depth}`;
    seen.set(cell, (seen.get(cell) ?? 0) + 1);
    return (seen.get(cell) ?? 0) <= trialsPerCell;
  });
  const chosen = (values['passkey-policies'] ?? 'full,streaming,razor').split(',');
  for (const length of (values['passkey-lengths'] ?? '1024,2048').split(',').map(Number)) {
    for (const [name, make] of Object.entries(policies(length)).filter(([key]) => chosen.includes(key))) {
      const generator = await createGenerator(model, {
        mode: 'split',
        backend,
        policy: make(),
        maxPositions: 4096,
      });
      const byDepth: Record<string, [number, number]> = {};
      let bytes = 0;
      for (const trial of trials.filter((candidate) => candidate.length === length)) {
        const prompt = buildPasskeyPrompt(tokenizer, heldout, trial, format);
        const result = await generator.generate(prompt.inputIds, { maxNewTokens: prompt.answerIds.length });
        const correct = result.tokens.every((token, i) => token === prompt.answerIds[i]);
        const cell = (byDepth[String(trial.depth)] ??= [0, 0]);
        cell[0] += correct ? 1 : 0;
        cell[1] += 1;
        bytes = result.kvBytes.resident;
      }
      await generator.release();
      const hits = Object.values(byDepth).reduce((sum, [h]) => sum + h, 0);
      const total = Object.values(byDepth).reduce((sum, [, t]) => sum + t, 0);
      emit({
        kind: 'passkey',
        length,
        policy: name,
        accuracy: hits / total,
        trials: total,
        byDepth: Object.fromEntries(Object.entries(byDepth).map(([depth, [h, t]]) => [depth, h / t])),
        residentBytes: bytes,
      });
      log(`passkey ${length} ${name} ${hits}/${total}`);
    }
  }
}

if (only.has('speed')) {
  const ids = heldout.slice(250000, 250000 + 4096 - 33);
  const rates: Record<string, number[]> = { full: [], kivi4: [] };
  for (let round = 0; round < 2; round++) {
    for (const name of ['full', 'kivi4'] as const) {
      const generator = await createGenerator(model, {
        mode: 'split',
        backend,
        policy: createKvPolicy(name),
        maxPositions: 4096,
      });
      const result = await generator.generate(ids, { maxNewTokens: 33 });
      await generator.release();
      rates[name].push(result.decodeTokensPerSecond);
    }
  }
  for (const [name, list] of Object.entries(rates)) {
    emit({
      kind: 'speed',
      context: 4096,
      policy: name,
      decodeTokensPerSecond: Math.max(...list),
      runs: list,
    });
  }
}
emit({ kind: 'done', seconds: (performance.now() - began) / 1000 });
