import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  applyRepetitionPenalty,
  type Backend,
  createRng,
  isOnnxModel,
  loadBackend,
  type OnnxModel,
  readModel,
  throwIfAborted,
} from '@x/core';
import { getKernels } from '@x/kernels-wasm';
import type { NeedsStockQueries } from '../cache/query-aware-stock-cache';
import { invalidOption, KvCacheError } from '../errors';
import { stockModeUnavailableError } from '../policies/stock-unavailable';
import { createKvPolicy } from '../policy/registry';
import type { KvPolicy } from '../policy/types';
import { computeModelFingerprint } from '../profile/fingerprint';
import type { Engine } from './engine';
import { resolveGeneratorGenerateOptions } from './resolve-generate-options';
import { selectToken } from './sampling';
import { createSplitEngine } from './split-engine';
import { planSplit } from './split-plan';
import { createStockEngine } from './stock-engine';
import { withStockQueryOutputs } from './stock-queries';
import type { CreateGeneratorOptions, Generator, GeneratorResult } from './types';

/** `<dir>/model.onnx` or `<dir>/onnx/model.onnx` for a folder; the path itself for a file. */
async function resolveModelFile(path: string): Promise<{ file: string; dir: string | undefined }> {
  const info = await stat(path).catch((error: unknown) => {
    throw new KvCacheError('KV_MODEL', `cannot open model ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { file: path },
    });
  });
  if (!info.isDirectory()) return { file: path, dir: undefined };
  for (const candidate of ['model.onnx', join('onnx', 'model.onnx')]) {
    const file = join(path, candidate);
    if (
      await stat(file).then(
        () => true,
        () => false,
      )
    )
      return { file, dir: path };
  }
  throw new KvCacheError('KV_MODEL', `no model.onnx or onnx/model.onnx in ${path}`, {
    details: { file: path },
  });
}

async function readMaxPositions(dir: string | undefined): Promise<number | undefined> {
  if (!dir) return undefined;
  try {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const value = config.max_position_embeddings;
    return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The model's weights hash (`computeModelFingerprint`), or undefined when its anatomy cannot be read. */
function modelWeightsHash(model: OnnxModel): string | undefined {
  try {
    return computeModelFingerprint(model).weightsHash;
  } catch {
    return undefined;
  }
}

/**
 * Opens a decoder for generation with a KV policy, in one of two modes behind one interface:
 * `'stock'` runs the Optimum export as is; `'split'` cuts it per layer and runs RoPE + attention on
 * @x/kernels-wasm over the policy's cache (per-head budgets, prefill compression, packed caches).
 * `model`: a model folder (`model.onnx` or `onnx/model.onnx`, optional `config.json`), an `.onnx` path, or an
 * `OnnxModel`. Errors: `KV_UNKNOWN_POLICY`, `KV_POLICY_UNAVAILABLE` (policy not landed, or not in this mode),
 * `KV_MODEL`, `KV_INVALID_OPTION`, `KV_BUDGET_EXCEEDS_CONTEXT`, core's `X_BACKEND_UNAVAILABLE`.
 */
export async function createGenerator(
  model: string | OnnxModel,
  options: CreateGeneratorOptions = {},
): Promise<Generator> {
  const mode = options.mode ?? 'stock';
  if (mode !== 'stock' && mode !== 'split')
    throw invalidOption('createGenerator', 'options.mode', mode, "'stock' or 'split'");
  const policy: KvPolicy =
    typeof options.policy === 'string' || options.policy === undefined
      ? createKvPolicy(options.policy ?? 'full')
      : options.policy;
  if (!policy.modes.includes(mode)) {
    if (mode === 'stock') throw stockModeUnavailableError(policy);
    throw new KvCacheError(
      'KV_POLICY_UNAVAILABLE',
      `KV policy '${policy.name}' is not available in ${mode} mode (modes: ${policy.modes.join(', ')})`,
      { details: { option: 'mode', value: mode, policy: policy.name } },
    );
  }
  const backend: Backend =
    typeof options.backend === 'object' ? options.backend : await loadBackend(options.backend ?? 'node');
  const located = isOnnxModel(model) ? undefined : await resolveModelFile(model);
  const maxPositions = options.maxPositions ?? (await readMaxPositions(located?.dir));
  // A profile-driven policy (RazorAttention, KVTuner) checks its profile against the model's shape AND weights
  // hash; graph reads are lazy (external data is read only for the hashed q/k rows).
  const needsQueries = mode === 'stock' && (policy as NeedsStockQueries).stockNeedsQueries === true;
  const needsFingerprint = typeof (policy.options as { profile?: unknown }).profile === 'string';
  let onnx: OnnxModel | undefined = isOnnxModel(model) ? model : undefined;
  if (!onnx && located && (mode === 'split' || needsQueries || needsFingerprint))
    onnx = await readModel(located.file);
  const weightsHash = needsFingerprint && onnx ? modelWeightsHash(onnx) : undefined;
  let engine: Engine;
  if (mode === 'stock') {
    if (needsQueries && onnx) {
      // SnapKV in stock mode needs the prefill's queries, which stock exports do not output.
      const { model: withQueries, source } = withStockQueryOutputs(onnx);
      const session = await backend.createSession(withQueries, options.sessionOptions);
      engine = createStockEngine(session, policy, { maxPositions, queries: source, weightsHash });
    } else {
      const source = located ? located.file : (model as OnnxModel);
      const session = await backend.createSession(source, options.sessionOptions);
      engine = createStockEngine(session, policy, { maxPositions, weightsHash });
    }
  } else {
    const plan = planSplit(onnx as OnnxModel);
    engine = await createSplitEngine(plan, backend, policy, await getKernels(), {
      sessionOptions: options.sessionOptions,
      maxPositions,
      weightsHash,
    });
  }
  // Creating a cache once validates budgets against the context before any generation.
  engine.begin().dispose();
  const limit = engine.shape.maxPositions;

  async function generate(
    inputIds: ArrayLike<number>,
    generateOptions: Parameters<Generator['generate']>[1] = {},
  ): Promise<GeneratorResult> {
    const resolved = resolveGeneratorGenerateOptions(inputIds, generateOptions, engine.vocabSize);
    const rng = resolved.mode === 'sample' ? createRng(resolved.seed) : undefined;
    const stop = new Set(resolved.stopIds);
    const seen: number[] = Array.from(inputIds);
    const tokens: number[] = [];
    const run = engine.begin();
    let pending: ArrayLike<number> = inputIds;
    let start = 0;
    let prefillMs = 0;
    let decodeMs = 0;
    let stopReason: GeneratorResult['stopReason'] = 'max-new-tokens';
    try {
      while (tokens.length < resolved.maxNewTokens) {
        throwIfAborted(generateOptions.signal, 'generate');
        if (limit !== undefined && start + pending.length > limit) {
          throw new KvCacheError(
            'KV_CONTEXT_EXCEEDED',
            `generation would pass the model's context of ${limit} positions (at position ${start + pending.length - 1})`,
            { details: { position: start + pending.length - 1, maxPositions: limit } },
          );
        }
        const began = performance.now();
        const logits = await run.forward(pending, start, false);
        const scores = applyRepetitionPenalty(logits, seen, resolved.repetitionPenalty);
        const token = selectToken(scores, resolved, rng);
        const ms = performance.now() - began;
        const phase = start === 0 ? 'prefill' : 'decode';
        if (phase === 'prefill') prefillMs = ms;
        else decodeMs += ms;
        start += pending.length;
        tokens.push(token);
        seen.push(token);
        pending = [token];
        generateOptions.onStep?.({
          phase,
          done: tokens.length,
          total: resolved.maxNewTokens,
          position: start,
          slots: run.slots(),
          kvBytes: run.bytes(),
          ms,
        });
        generateOptions.onToken?.(token, tokens.length - 1);
        if (stop.has(token)) {
          stopReason = 'stop-id';
          break;
        }
      }
      return {
        tokens,
        stopReason,
        options: resolved,
        mode,
        backend: backend.name,
        policy: { name: policy.name, options: policy.options },
        kvBytes: run.bytes(),
        slots: run.slots(),
        prefillMs,
        decodeMs,
        decodeTokensPerSecond: tokens.length > 1 ? ((tokens.length - 1) * 1000) / decodeMs : Number.NaN,
      };
    } finally {
      run.dispose();
    }
  }

  return {
    mode,
    backend: backend.name,
    policy,
    vocabSize: engine.vocabSize,
    generate,
    async forwardAll(inputIds) {
      resolveGeneratorGenerateOptions(inputIds, {}, engine.vocabSize);
      const run = engine.begin();
      try {
        return await run.forward(inputIds, 0, true);
      } finally {
        run.dispose();
      }
    },
    release: () => engine.release(),
  };
}
