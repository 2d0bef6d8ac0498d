import { createTensor, float16ToFloat32, type Session, type Tensor } from '@x/core';
import { isQueryAwareStockCache } from '../cache/query-aware-stock-cache';
import { KvCacheError } from '../errors';
import { stockModeUnavailableError } from '../policies/stock-unavailable';
import type { KvCacheShape, KvPolicy, StockLayerKv } from '../policy/types';
import type { Engine, EngineRun } from './engine';
import { describeStockIo } from './stock-io';
import type { StockQuerySource } from './stock-queries';

/**
 * Stock mode: the export runs whole; the policy's `StockKvCache` turns each step's `present.*` into the next
 * `past_key_values.*`. Every step feeds explicit absolute `position_ids` and an all-ones mask of past + new
 * length (kv-cache brief §8.3), never positions derived from the mask. `model.queries` (from a graph made by
 * `withStockQueryOutputs`) lets attention-score policies (SnapKV) see the prefill's post-RoPE queries.
 */
export function createStockEngine(
  session: Session,
  policy: KvPolicy,
  model: { numHeads?: number; maxPositions?: number; queries?: StockQuerySource; weightsHash?: string },
): Engine {
  const io = describeStockIo(session);
  if (!policy.createStockCache) throw stockModeUnavailableError(policy);
  const createStock = policy.createStockCache.bind(policy);
  const shape: KvCacheShape = {
    numLayers: io.layers.length,
    numHeads: model.numHeads ?? model.queries?.numHeads ?? io.numKvHeads,
    numKvHeads: io.numKvHeads,
    headDim: io.headDim,
    maxPositions: model.maxPositions,
    ...(model.weightsHash ? { weightsHash: model.weightsHash } : {}),
  };
  const fetches = ['logits', ...io.layers.flatMap((layer) => [layer.presentKey, layer.presentValue])];
  const empty = createTensor(io.dtype, [1, io.numKvHeads, 0, io.headDim]);
  return {
    shape,
    vocabSize: undefined,
    begin(): EngineRun {
      const cache = createStock(shape);
      return {
        async forward(tokens, start, allRows) {
          const count = tokens.length;
          const past = cache.length();
          const feeds: Record<string, Tensor> = {
            input_ids: createTensor('int64', [1, count], BigInt64Array.from(Array.from(tokens), BigInt)),
            attention_mask: createTensor(
              'int64',
              [1, past + count],
              new BigInt64Array(past + count).fill(1n),
            ),
          };
          if (io.positionIds) {
            feeds.position_ids = createTensor(
              'int64',
              [1, count],
              BigInt64Array.from({ length: count }, (_, i) => BigInt(start + i)),
            );
          }
          if (io.logitsToKeep) feeds[io.logitsToKeep] = createTensor('int64', [], [BigInt(allRows ? 0 : 1)]);
          if (io.useCacheBranch) feeds.use_cache_branch = createTensor('bool', [1], [past > 0 ? 1 : 0]);
          const held = cache.past();
          io.layers.forEach((layer, l) => {
            feeds[layer.pastKey] = held[l]?.key ?? empty;
            feeds[layer.pastValue] = held[l]?.value ?? empty;
          });
          // Attention-score policies (SnapKV) get the step's post-RoPE queries when the graph outputs them.
          const queries =
            model.queries && isQueryAwareStockCache(cache) && cache.wantsQueries(start, count)
              ? model.queries
              : undefined;
          const outputs = await session.run(feeds, queries ? [...fetches, ...queries.outputs] : fetches);
          if (queries && isQueryAwareStockCache(cache)) {
            cache.observeQueries(queries.queries(outputs, start, count), start, count);
          }
          const present: StockLayerKv[] = io.layers.map((layer) => ({
            key: outputs[layer.presentKey],
            value: outputs[layer.presentValue],
          }));
          cache.update(present, start, count);
          return logitRows(outputs.logits, allRows);
        },
        slots: () => cache.length(),
        bytes: () => cache.bytes(),
        dispose() {},
      };
    },
    release: () => session.release(),
  };
}

/** Every row or the last row of `[1, rows, vocab]` logits, as float32. */
export function logitRows(logits: Tensor, allRows: boolean): Float32Array {
  const vocab = logits.dims[logits.dims.length - 1];
  const rows = logits.data.length / vocab;
  const from = allRows ? 0 : (rows - 1) * vocab;
  if (logits.dtype === 'float16') return float16ToFloat32((logits.data as Uint16Array).subarray(from));
  if (logits.dtype !== 'float32') {
    throw new KvCacheError('KV_MODEL', `logits have dtype ${logits.dtype}; expected float32 or float16`, {
      details: { output: 'logits', dtype: logits.dtype },
    });
  }
  return (logits.data as Float32Array).subarray(from);
}
