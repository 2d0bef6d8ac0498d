import { createTensor, type Tensor } from '@x/core';
import { isQueryAwareStockCache } from '../cache/query-aware-stock-cache';
import { stockModeUnavailableError } from '../policies/stock-unavailable';
import type { KvCacheShape, KvPolicy, StockKvCache } from '../policy/types';
import type { StockQuerySource } from './stock-queries';

/** Feeds for one step of a stock (Optimum) decoder, by input name. */
export interface StockStepFeeds {
  /** `past_key_values.{l}.key|value` (zero-length on the first step). */
  past: Record<string, Tensor>;
  /** `[1, S + count]` ones (the mask only carries the length; positions are explicit). */
  attentionMask: Tensor<'int64'>;
  /** `[1, count]` absolute positions `position .. position + count − 1`. */
  positionIds: Tensor<'int64'>;
}

/**
 * A policy's stock cache driven by names, for a loop you own (e.g. around a transformers.js model's session):
 * call `feeds(count)` before each `session.run`, and `update(outputs, count)` with its `present.*` outputs after.
 * Tensors are @x/core structural tensors (convert ORT tensors with `fromOrt`/`toOrt`). For SnapKV, open the session
 * on `withStockQueryOutputs(model).model` and pass its `source` as `options.queries`.
 */
export interface StockKvAdapter {
  readonly cache: StockKvCache;
  /** Tokens of history processed so far (the next token's absolute position). */
  readonly position: number;
  feeds(count: number): StockStepFeeds;
  update(outputs: Record<string, Tensor>, count: number): void;
}

/**
 * Wraps `policy.createStockCache(shape)` with the Optimum names. Errors: `KV_POLICY_UNAVAILABLE` for a policy that
 * cannot run in stock mode (e.g. `razor`), with its reason.
 */
export function createStockKvAdapter(
  policy: KvPolicy,
  shape: KvCacheShape,
  options: { dtype?: 'float32' | 'float16'; queries?: StockQuerySource } = {},
): StockKvAdapter {
  if (!policy.createStockCache) throw stockModeUnavailableError(policy);
  const cache = policy.createStockCache(shape);
  const dtype = options.dtype ?? 'float32';
  let position = 0;
  return {
    cache,
    get position() {
      return position;
    },
    feeds(count) {
      const held = cache.past();
      const past: Record<string, Tensor> = {};
      for (let l = 0; l < shape.numLayers; l++) {
        const empty = createTensor(dtype, [1, shape.numKvHeads, 0, shape.headDim]);
        past[`past_key_values.${l}.key`] = held[l]?.key ?? empty;
        past[`past_key_values.${l}.value`] = held[l]?.value ?? empty;
      }
      const total = cache.length() + count;
      return {
        past,
        attentionMask: createTensor('int64', [1, total], new BigInt64Array(total).fill(1n)),
        positionIds: createTensor(
          'int64',
          [1, count],
          BigInt64Array.from({ length: count }, (_, i) => BigInt(position + i)),
        ),
      };
    },
    update(outputs, count) {
      // SnapKV: the session from `withStockQueryOutputs` also returns the q projections the prefill is scored with.
      if (options.queries && isQueryAwareStockCache(cache) && cache.wantsQueries(position, count)) {
        cache.observeQueries(options.queries.queries(outputs, position, count), position, count);
      }
      const present = Array.from({ length: shape.numLayers }, (_, l) => ({
        key: outputs[`present.${l}.key`],
        value: outputs[`present.${l}.value`],
      }));
      cache.update(present, position, count);
      position += count;
    },
  };
}
