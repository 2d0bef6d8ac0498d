import { attendHeads } from '../cache/attend-heads';
import { HeadStore } from '../cache/head-store';
import { createUniformStockCache } from '../cache/uniform-stock-cache';
import { KvCacheError } from '../errors';
import { assertKnownOptions, integerOption } from '../internal/option-checks';
import type { KvCacheShape, KvPolicy } from '../policy/types';
import { assembleCache } from './full';

/** Resolved StreamingLLM options. */
export interface StreamingLlmOptions {
  /** Attention sinks: the first tokens, always kept. @defaultValue 4 (StreamingLLM paper; kvpress `n_sink`) */
  sinks: number;
  /** Most recent tokens kept after the sinks. @defaultValue 1020 (a 1024-slot cache) */
  window: number;
}

/**
 * Slots kept by StreamingLLM (Xiao et al. 2023, arXiv 2309.17453): the first `sinks` and the last `window` of
 * `length` position-ordered slots, or `undefined` when all fit.
 */
export function selectStreamingSlots(length: number, sinks: number, window: number): Int32Array | undefined {
  if (length <= sinks + window) return undefined;
  const slots = new Int32Array(sinks + window);
  for (let i = 0; i < sinks; i++) slots[i] = i;
  for (let i = 0; i < window; i++) slots[sinks + i] = length - window + i;
  return slots;
}

export function checkBudget(policy: string, budget: number, shape: KvCacheShape): void {
  if (shape.maxPositions !== undefined && budget > shape.maxPositions) {
    throw new KvCacheError(
      'KV_BUDGET_EXCEEDS_CONTEXT',
      `policy '${policy}': budget ${budget} slots exceeds the model's context of ${shape.maxPositions} positions`,
      { details: { budget, maxPositions: shape.maxPositions } },
    );
  }
}

/**
 * StreamingLLM, the variant that keeps ORIGINAL positions (kvpress's default, no key re-rotation): the stock
 * graph hands out post-RoPE keys, and re-rotating them needs the model's θ, layout and RoPE scaling; keeping
 * them lets positions keep counting the true history (brief §8.3 invariant 2). The paper re-assigns positions
 * inside the cache instead; with original positions, generation past the model's context is not supported.
 * Eviction runs after each step, so one step attends over at most `sinks + window` held slots plus its new rows.
 * Uniform across heads and layers: runs in both modes.
 */
export function createStreamingLlmPolicy(
  options: Record<string, unknown> = {},
): KvPolicy<StreamingLlmOptions> {
  assertKnownOptions('streaming', options, ['sinks', 'window']);
  const resolved: StreamingLlmOptions = {
    sinks: integerOption('streaming', options, 'sinks', 4, 0),
    window: integerOption('streaming', options, 'window', 1020, 1),
  };
  const { sinks, window } = resolved;
  return {
    name: 'streaming',
    options: resolved,
    modes: ['stock', 'split'],
    createCache(shape, context) {
      checkBudget('streaming', sinks + window, shape);
      const layers = Array.from({ length: shape.numLayers }, (_, layer) => {
        const store = new HeadStore(shape.numKvHeads, shape.headDim, context.meter);
        return {
          layer,
          append: (rows: Parameters<HeadStore['append']>[0]) => store.append(rows),
          attend(queries: Parameters<typeof attendHeads>[2]) {
            const output = attendHeads(context.kernels, store, queries, shape.numHeads);
            const slots = selectStreamingSlots(store.length(0), sinks, window);
            if (slots) for (let h = 0; h < shape.numKvHeads; h++) store.keep(h, slots);
            return output;
          },
          length: (head: number) => store.length(head),
          positions: (head: number) => store.positionView(head).slice(),
          residentBytes: () => store.totalSlots() * store.slotBytes,
        };
      });
      return assembleCache(layers, context);
    },
    createStockCache(shape) {
      checkBudget('streaming', sinks + window, shape);
      return createUniformStockCache(shape, (positions) =>
        selectStreamingSlots(positions.length, sinks, window),
      );
    },
  };
}
