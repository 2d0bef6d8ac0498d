import { type Backend, createTensor, type Session, type SessionOptions, type Tensor } from '@x/core';
import type { Kernels } from '@x/kernels-wasm';
import { createKvMeter } from '../cache/meter';
import { KvCacheError } from '../errors';
import type { KvCacheShape, KvPolicy } from '../policy/types';
import type { Engine, EngineRun } from './engine';
import { applyRope, gatherTable, halfTable, toHeadMajor, toTokenMajor } from './rope';
import type { SplitPlan } from './split-plan';
import { logitRows } from './stock-engine';

/**
 * ORT options for split mode's L + 1 small sessions: intra-op spinning off. Each session has its own thread pool;
 * with ORT's default spinning the idle pools spin against the running one (Qwen2.5-0.5B shape, idle machine: 0.45x
 * stock). Spinning on inside a run and stopped after it (`force_spinning_stop`) is as fast or faster on an idle
 * machine (0.95x / 1.92x stock vs 0.94x / 1.55x for off) and equal with one core busy (182.1 vs 182.9 tok/s);
 * off is the default because it never measured worse and keeps no thread spinning. Keys the caller sets in `ortOptions.extra` win.
 * Numbers: packages/kv-cache/README.md, Results.
 */
export function splitSessionOptions(options: SessionOptions | undefined): SessionOptions {
  const ortOptions = options?.ortOptions ?? {};
  const extra = (ortOptions.extra ?? {}) as Record<string, unknown>;
  const session = (extra.session ?? {}) as Record<string, unknown>;
  const intraOp = (session.intra_op ?? {}) as Record<string, unknown>;
  return {
    ...options,
    ortOptions: {
      ...ortOptions,
      extra: {
        ...extra,
        session: { ...session, intra_op: { allow_spinning: '0', ...intraOp } },
      },
    },
  };
}

function floatData(tensor: Tensor, name: string): Float32Array {
  if (tensor.dtype !== 'float32') {
    throw new KvCacheError('KV_MODEL', `split mode: ${name} has dtype ${tensor.dtype}; expected float32`, {
      details: { value: name, dtype: tensor.dtype },
    });
  }
  return tensor.data as Float32Array;
}

/**
 * Split mode: L + 1 sessions (see `planSplit`), RoPE in TS from the graph's own cos/sin (or its rotary caches),
 * attention by the policy's `KvLayerCache` on @x/kernels-wasm. The last piece gets only the last row unless every
 * row's logits are asked for (o_proj, MLP, norm and lm_head are per token, so this is exact).
 */
export async function createSplitEngine(
  plan: SplitPlan,
  backend: Backend,
  policy: KvPolicy,
  kernels: Kernels,
  options: { sessionOptions?: SessionOptions; maxPositions?: number; weightsHash?: string },
): Promise<Engine> {
  if (!policy.createCache) {
    throw new KvCacheError(
      'KV_POLICY_UNAVAILABLE',
      `KV policy '${policy.name}' cannot run in split mode (modes: ${policy.modes.join(', ')}); use mode 'stock'`,
      { details: { option: 'mode', policy: policy.name } },
    );
  }
  const createCache = policy.createCache.bind(policy);
  const sessions: Session[] = [];
  const sessionOptions = splitSessionOptions(options.sessionOptions);
  for (const piece of plan.pieces) sessions.push(await backend.createSession(piece.model, sessionOptions));
  const { numLayers, numHeads, numKvHeads, headDim, vocabSize } = plan.anatomy.config;
  const cacheRows = plan.rotary.source === 'cache' ? plan.rotary.cos.length / (headDim / 2) : undefined;
  const shape: KvCacheShape = {
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    maxPositions: options.maxPositions ?? cacheRows,
    ...(options.weightsHash ? { weightsHash: options.weightsHash } : {}),
  };
  const scale = 1 / Math.sqrt(headDim);
  const io = plan.anatomy.io;
  return {
    shape,
    vocabSize,
    begin(): EngineRun {
      const meter = createKvMeter();
      const cache = createCache(shape, { kernels, meter });
      let prefilled = false;
      return {
        async forward(tokens, start, allRows) {
          const count = tokens.length;
          const feeds: Record<string, Tensor> = {
            [io.inputIds]: createTensor('int64', [1, count], BigInt64Array.from(Array.from(tokens), BigInt)),
          };
          if (plan.pieces[0].inputs.length > 1 && io.positionIds) {
            feeds[io.positionIds] = createTensor(
              'int64',
              [1, count],
              BigInt64Array.from({ length: count }, (_, i) => BigInt(start + i)),
            );
          }
          let outputs = await sessions[0].run(feeds, plan.pieces[0].outputs);
          let cos: Float32Array;
          let sin: Float32Array;
          if (plan.rotary.source === 'graph') {
            cos = halfTable(
              floatData(outputs[plan.rotary.cos], 'cos'),
              count,
              headDim,
              plan.rotary.interleaved,
            );
            sin = halfTable(
              floatData(outputs[plan.rotary.sin], 'sin'),
              count,
              headDim,
              plan.rotary.interleaved,
            );
          } else {
            cos = gatherTable(plan.rotary.cos, headDim / 2, start, count);
            sin = gatherTable(plan.rotary.sin, headDim / 2, start, count);
          }
          const phasePrefill = !prefilled;
          for (let l = 0; l < numLayers; l++) {
            const cut = plan.layers[l];
            const q = toHeadMajor(floatData(outputs[cut.q], cut.q), numHeads, count, headDim);
            const k = toHeadMajor(floatData(outputs[cut.k], cut.k), numKvHeads, count, headDim);
            const v = toHeadMajor(floatData(outputs[cut.v], cut.v), numKvHeads, count, headDim);
            applyRope(q, numHeads, count, headDim, cos, sin, plan.rotary.interleaved);
            applyRope(k, numKvHeads, count, headDim, cos, sin, plan.rotary.interleaved);
            const layer = cache.layers[l];
            layer.append({ key: k, value: v, count, start });
            const queries = { query: q, queryLength: count, start, scale };
            const attended = toTokenMajor(layer.attend(queries), numHeads, count, headDim);
            if (phasePrefill) layer.afterPrefill?.(queries);
            const last = l === numLayers - 1 && !allRows && count > 1;
            const rows = last ? 1 : count;
            const width = numHeads * headDim;
            const next: Record<string, Tensor> = {
              [cut.attentionOutput]: createTensor(
                'float32',
                [1, rows, width],
                last ? attended.subarray((count - 1) * width) : attended,
              ),
            };
            for (const name of cut.hidden) {
              const hidden = outputs[name];
              const size = hidden.dims[hidden.dims.length - 1];
              const data = floatData(hidden, name);
              next[name] = last
                ? createTensor('float32', [1, 1, size], data.subarray((count - 1) * size))
                : hidden;
            }
            outputs = await sessions[l + 1].run(next, plan.pieces[l + 1].outputs);
          }
          prefilled = true;
          return logitRows(outputs[io.logits], allRows);
        },
        slots() {
          let longest = 0;
          for (const layer of cache.layers) {
            for (let h = 0; h < numKvHeads; h++) longest = Math.max(longest, layer.length(h));
          }
          return longest;
        },
        bytes: () => cache.bytes(),
        dispose: () => cache.dispose?.(),
      };
    },
    async release() {
      for (const session of sessions) await session.release();
    },
  };
}
