import { attendHeads } from '../cache/attend-heads';
import { HeadStore } from '../cache/head-store';
import type { NeedsStockQueries } from '../cache/query-aware-stock-cache';
import { invalidOption } from '../errors';
import { assertKnownOptions, integerOption } from '../internal/option-checks';
import type { KvPolicy, KvQueries } from '../policy/types';
import { assembleCache } from './full';
import { selectSnapKvSlots } from './snapkv-scores';
import { createSnapKvStockCache } from './snapkv-stock-cache';
import { checkBudget } from './streaming-llm';

/** Resolved SnapKV options (defaults: the paper's / FasterDecoding/SnapKV's). */
export interface SnapKvOptions {
  /** Observation window: the last prompt queries that vote, also always kept. @defaultValue 32 */
  window: number;
  /** Slots kept per KV head after prefill, window included. @defaultValue 2048 */
  capacity: number;
  /** Pooling kernel over the votes. @defaultValue 5 */
  kernelSize: number;
  /** @defaultValue 'avg' */
  pooling: 'avg' | 'max';
}

/**
 * SnapKV (arXiv 2404.14469): after the prefill attention of each layer, each KV head keeps its `capacity −
 * window` best-voted prefix slots plus the observation window; prompts of at most `capacity` tokens stay whole
 * (as in the original). Heads keep different tokens (equal counts). Decoding appends without further eviction.
 * Needs the prefill queries: split mode has them; stock mode (`createSnapKvStockCache`: equal counts, so a uniform
 * past) gets them from a graph made by `withStockQueryOutputs`.
 */
export function createSnapKvPolicy(
  options: Record<string, unknown> = {},
): KvPolicy<SnapKvOptions> & NeedsStockQueries {
  assertKnownOptions('snapkv', options, ['window', 'capacity', 'kernelSize', 'pooling']);
  const pooling = options.pooling ?? 'avg';
  if (pooling !== 'avg' && pooling !== 'max') {
    throw invalidOption("policy 'snapkv'", 'options.pooling', pooling, "'avg' or 'max'");
  }
  const window = integerOption('snapkv', options, 'window', 32, 1);
  const resolved: SnapKvOptions = {
    window,
    capacity: integerOption('snapkv', options, 'capacity', 2048, 1),
    kernelSize: integerOption('snapkv', options, 'kernelSize', 5, 1),
    pooling,
  };
  if (resolved.capacity <= window) {
    throw invalidOption(
      "policy 'snapkv'",
      'options.capacity',
      resolved.capacity,
      `greater than window (${window})`,
    );
  }
  return {
    name: 'snapkv',
    options: resolved,
    modes: ['stock', 'split'],
    stockNeedsQueries: true,
    createStockCache(shape) {
      checkBudget('snapkv', resolved.capacity, shape);
      return createSnapKvStockCache(shape, resolved);
    },
    createCache(shape, context) {
      checkBudget('snapkv', resolved.capacity, shape);
      const group = shape.numHeads / shape.numKvHeads;
      const layers = Array.from({ length: shape.numLayers }, (_, layer) => {
        const store = new HeadStore(shape.numKvHeads, shape.headDim, context.meter);
        return {
          layer,
          append: (rows: Parameters<HeadStore['append']>[0]) => store.append(rows),
          attend: (queries: KvQueries) => attendHeads(context.kernels, store, queries, shape.numHeads),
          afterPrefill(queries: KvQueries) {
            const length = store.length(0);
            if (length <= resolved.capacity || queries.queryLength < resolved.window) return;
            for (let g = 0; g < shape.numKvHeads; g++) {
              const slots = selectSnapKvSlots(
                {
                  query: queries.query,
                  queryLength: queries.queryLength,
                  numHeads: shape.numHeads,
                  headDim: shape.headDim,
                  scale: queries.scale,
                  key: store.key(g),
                  length,
                  kvHead: g,
                  group,
                },
                resolved,
              );
              store.keep(g, slots);
            }
          },
          length: (head: number) => store.length(head),
          positions: (head: number) => store.positionView(head).slice(),
          residentBytes: () => store.totalSlots() * store.slotBytes,
        };
      });
      return assembleCache(layers, context);
    },
  };
}
