import { attendHeads } from '../cache/attend-heads';
import { HeadStore } from '../cache/head-store';
import { createUniformStockCache } from '../cache/uniform-stock-cache';
import { assertNoOptions } from '../internal/option-checks';
import type { KvCache, KvCacheContext, KvCacheShape, KvLayerCache, KvPolicy } from '../policy/types';

/** Full cache layer: keeps every row; attention over all of them. */
export function createFullLayer(layer: number, shape: KvCacheShape, context: KvCacheContext): KvLayerCache {
  const store = new HeadStore(shape.numKvHeads, shape.headDim, context.meter);
  return {
    layer,
    append: (rows) => store.append(rows),
    attend: (queries) => attendHeads(context.kernels, store, queries, shape.numHeads),
    length: (head) => store.length(head),
    positions: (head) => store.positionView(head).slice(),
    residentBytes: () => store.totalSlots() * store.slotBytes,
  };
}

/** Assembles a `KvCache` from per-layer caches and the context's meter. */
export function assembleCache(layers: KvLayerCache[], context: KvCacheContext): KvCache {
  return {
    layers,
    bytes: () => ({
      resident: layers.reduce((sum, layer) => sum + layer.residentBytes(), 0),
      peak: context.meter.peak,
    }),
  };
}

/** The full (uncompressed) cache: the reference every other policy is measured against. No options. */
export function createFullPolicy(options: Record<string, unknown> = {}): KvPolicy<Record<string, never>> {
  assertNoOptions('full', options);
  return {
    name: 'full',
    options: {},
    modes: ['stock', 'split'],
    createCache(shape, context) {
      const layers = Array.from({ length: shape.numLayers }, (_, l) => createFullLayer(l, shape, context));
      return assembleCache(layers, context);
    },
    createStockCache: (shape) => createUniformStockCache(shape, () => undefined),
  };
}
