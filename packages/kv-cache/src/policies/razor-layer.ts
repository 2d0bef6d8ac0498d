import { raggedAttention } from '@x/kernels-wasm';
import { attendHeads } from '../cache/attend-heads';
import { HeadStore } from '../cache/head-store';
import type { KvCacheContext, KvCacheShape, KvLayerCache, KvQueries } from '../policy/types';
import { compensationBias, foldIntoMean } from './razor-compensation';

/** Budget of a non-retrieval head. */
export interface RazorHeadBudget {
  /** First tokens always kept (attention sinks). */
  sinks: number;
  /** Most recent tokens kept. */
  window: number;
  /** Fold dropped tokens into one compensation slot (false: drop them, the ablation). */
  compensation: boolean;
}

/**
 * One layer of a RazorAttention cache (arXiv 2407.15891, Algorithm 1; kv-cache brief §1.2–1.3). KV heads flagged in
 * `retrieval` keep every token. Each other head keeps `sinks` first tokens, one compensation slot (the mean of every
 * token it dropped, logit bias ln n_d) and the `window` newest tokens; eviction runs after each attention, so the
 * prefill attends over everything and decode keeps the buffer at `sinks + 1 + window`, the compensation mean updated
 * incrementally. Decode attention runs on @x/kernels-wasm's `raggedAttention` (per-head lengths, per-slot `keyBias`).
 * The compensation slot carries the position of the newest token it absorbed.
 */
export function createRazorLayer(
  layer: number,
  shape: KvCacheShape,
  context: KvCacheContext,
  retrieval: readonly boolean[],
  budget: RazorHeadBudget,
): KvLayerCache {
  const { numHeads, numKvHeads, headDim: d } = shape;
  const store = new HeadStore(numKvHeads, d, context.meter);
  /** Tokens folded into each head's compensation slot (0: no slot yet). */
  const folded = new Int32Array(numKvHeads);
  const { sinks, window, compensation } = budget;

  function evict(head: number): void {
    const length = store.length(head);
    const hasSlot = folded[head] > 0 ? 1 : 0;
    const firstDrop = sinks + hasSlot;
    const drop = length - firstDrop - window;
    if (drop <= 0) return;
    const slots: number[] = [];
    for (let i = 0; i < sinks; i++) slots.push(i);
    if (compensation) {
      const key = store.key(head);
      const value = store.value(head);
      const positions = store.positionView(head);
      const keyMean = key.slice(sinks * d, (sinks + 1) * d);
      const valueMean = value.slice(sinks * d, (sinks + 1) * d);
      if (!hasSlot) {
        keyMean.fill(0);
        valueMean.fill(0);
      }
      foldIntoMean(keyMean, folded[head], key, firstDrop, drop, d);
      folded[head] = foldIntoMean(valueMean, folded[head], value, firstDrop, drop, d);
      key.set(keyMean, sinks * d);
      value.set(valueMean, sinks * d);
      positions[sinks] = positions[firstDrop + drop - 1];
      slots.push(sinks);
    }
    for (let i = length - window; i < length; i++) slots.push(i);
    store.keep(head, slots);
  }

  function attendRagged(queries: KvQueries): Float32Array {
    let rows = 0;
    const lengths = new Int32Array(numKvHeads);
    for (let g = 0; g < numKvHeads; g++) {
      lengths[g] = store.length(g);
      rows += lengths[g];
    }
    const key = new Float32Array(rows * d);
    const value = new Float32Array(rows * d);
    const keyBias = new Float32Array(rows);
    let at = 0;
    for (let g = 0; g < numKvHeads; g++) {
      key.set(store.key(g), at * d);
      value.set(store.value(g), at * d);
      if (folded[g] > 0) keyBias[at + sinks] = compensationBias(folded[g]);
      at += lengths[g];
    }
    return raggedAttention(
      context.kernels,
      {
        query: queries.query,
        key,
        value,
        kvLengths: lengths,
        numHeads,
        numKvHeads,
        queryLength: queries.queryLength,
        headDim: d,
      },
      { scale: queries.scale, causal: true, keyBias },
    );
  }

  return {
    layer,
    append: (rows) => store.append(rows),
    attend(queries) {
      let compressed = false;
      for (let g = 0; g < numKvHeads; g++)
        compressed ||= folded[g] > 0 || store.length(g) !== store.length(0);
      const output = compressed
        ? attendRagged(queries)
        : attendHeads(context.kernels, store, queries, numHeads);
      for (let g = 0; g < numKvHeads; g++) if (!retrieval[g]) evict(g);
      return output;
    },
    length: (head) => store.length(head),
    positions: (head) => store.positionView(head).slice(),
    residentBytes: () => store.totalSlots() * store.slotBytes,
  };
}
