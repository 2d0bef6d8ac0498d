import type { StockKvCache } from '../policy/types';

/**
 * A stock cache that scores with the step's post-RoPE queries (SnapKV's observation window). Stock exports output
 * no queries (kv-cache brief §0.7): the stock engine fetches them from a graph made by `withStockQueryOutputs`,
 * only on the steps where `wantsQueries` says so, and hands them over before `update`.
 */
export interface QueryAwareStockCache extends StockKvCache {
  /** Whether the step about to run (`count` rows at `start`) needs its queries. */
  wantsQueries(start: number, count: number): boolean;
  /** The step's queries per layer, `[numHeads, count, headDim]` post-RoPE, given before its `update`. */
  observeQueries(queries: readonly Float32Array[], start: number, count: number): void;
}

export function isQueryAwareStockCache(cache: StockKvCache): cache is QueryAwareStockCache {
  const candidate = cache as Partial<QueryAwareStockCache>;
  return typeof candidate.wantsQueries === 'function' && typeof candidate.observeQueries === 'function';
}

/**
 * Marks a policy whose stock cache scores with queries (SnapKV): a runner should open the model through
 * `withStockQueryOutputs` and pass its `source` to the stock engine.
 */
export interface NeedsStockQueries {
  readonly stockNeedsQueries?: boolean;
}
