import { createTensor, dtypeByteLength, float16ToFloat32, type Tensor } from '@x/core';
import type { QueryAwareStockCache } from '../cache/query-aware-stock-cache';
import { KvCacheError } from '../errors';
import type { KvBytes, KvCacheShape, StockLayerKv } from '../policy/types';
import type { SnapKvOptions } from './snapkv';
import { selectSnapKvSlots } from './snapkv-scores';

/** SnapKV's stock cache: one slot count for every head, each head's own positions. */
export interface SnapKvStockCache extends QueryAwareStockCache {
  /** Absolute positions of layer `layer`, KV head `head`'s slots (heads keep different tokens). */
  positions(layer?: number, head?: number): Int32Array;
}

function tensorBytes(tensor: Tensor): number {
  return dtypeByteLength(tensor.dtype, tensor.data.length);
}

type Data = Float32Array | Uint16Array;

/** Gathers per-head slots of a `[1, H, S, D]` tensor into `[1, H, slots, D]` (`slots[h]` equally long). */
function gatherHeadSlots(tensor: Tensor, slots: readonly Int32Array[]): Tensor {
  const [, heads, length, d] = tensor.dims;
  const source = tensor.data as Data;
  const kept = slots[0].length;
  const target = new (source.constructor as new (n: number) => Data)(heads * kept * d);
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < kept; s++) {
      const from = (h * length + slots[h][s]) * d;
      target.set(source.subarray(from, from + d), (h * kept + s) * d);
    }
  }
  return createTensor(tensor.dtype, [1, heads, kept, d], target as never);
}

function keysOf(tensor: Tensor): Float32Array {
  if (tensor.dtype === 'float32') return tensor.data as Float32Array;
  if (tensor.dtype === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  throw new KvCacheError(
    'KV_MODEL',
    `SnapKV stock cache: keys have dtype ${tensor.dtype}; expected float32 or float16`,
    {
      details: { dtype: tensor.dtype },
    },
  );
}

/**
 * SnapKV in stock mode (arXiv 2404.14469; kv-cache brief §0.1, §4): after the prefill every KV head keeps the same
 * number of slots (`capacity`) — its own best-voted prefix positions plus the observation window, chosen exactly as
 * split mode's `afterPrefill` does (`selectSnapKvSlots`) — so the kept rows gather into a uniform
 * `[1, H_kv, capacity, D]` past. Keys keep their RoPE (slot order is only storage), positions are fed explicitly
 * and the 2-D mask is all ones. Decode steps append (ORT's `present` becomes the next past, no copy). Scoring needs
 * the prefill's post-RoPE queries, which stock exports do not output (§0.7): the stock engine fetches them from a
 * graph made by `withStockQueryOutputs`; a prompt longer than `capacity` without them is `KV_POLICY_UNAVAILABLE`.
 * Resident: the kept float rows; peak: the previous past plus the step's `present` (the prefill's whole present).
 */
export function createSnapKvStockCache(shape: KvCacheShape, options: SnapKvOptions): SnapKvStockCache {
  const { numLayers, numKvHeads, numHeads, headDim } = shape;
  const group = numHeads / numKvHeads;
  let past: StockLayerKv[] = [];
  // positions[layer][head]
  let positions: Int32Array[][] = [];
  let slotCount = 0;
  let observed: { queries: readonly Float32Array[]; start: number; count: number } | undefined;
  let resident = 0;
  let peak = 0;
  const measure = (layers: readonly StockLayerKv[]) =>
    layers.reduce((sum, layer) => sum + tensorBytes(layer.key) + tensorBytes(layer.value), 0);
  const compresses = (count: number) => count > options.capacity && count >= options.window;

  return {
    wantsQueries: (_start, count) => slotCount === 0 && compresses(count),
    observeQueries(queries, start, count) {
      if (queries.length !== numLayers || queries.some((q) => q.length !== numHeads * count * headDim)) {
        throw new KvCacheError(
          'KV_STATE',
          `SnapKV stock cache: queries must be ${numLayers} layers of [${numHeads}, ${count}, ${headDim}]`,
          { details: { layers: queries.length } },
        );
      }
      observed = { queries, start, count };
    },
    update(present, start, count) {
      if (present.length !== numLayers) {
        throw new KvCacheError(
          'KV_STATE',
          `SnapKV stock cache: got ${present.length} layers of present, expected ${numLayers}`,
          { details: { layers: present.length } },
        );
      }
      const total = slotCount + count;
      const held = present[0].key.dims[2];
      if (held !== total) {
        throw new KvCacheError(
          'KV_STATE',
          `SnapKV stock cache: present holds ${held} slots, expected past ${slotCount} + new ${count}`,
          { details: { held, expected: total } },
        );
      }
      const presentBytes = measure(present);
      peak = Math.max(peak, resident + presentBytes);
      const fresh = Int32Array.from({ length: count }, (_, i) => start + i);
      if (slotCount === 0 && compresses(count)) {
        if (!observed || observed.start !== start || observed.count !== count) {
          throw new KvCacheError(
            'KV_POLICY_UNAVAILABLE',
            `KV policy 'snapkv' in stock mode needs the prompt's post-RoPE queries to score a ${count}-token prompt ` +
              `(capacity ${options.capacity}); stock exports output none: run the graph from withStockQueryOutputs(model) ` +
              `and pass its source to the stock engine, or use mode 'split'`,
            { details: { policy: 'snapkv', option: 'mode', value: 'stock' } },
          );
        }
        const { queries } = observed;
        const scale = 1 / Math.sqrt(headDim);
        past = present.map((layer, l) => {
          const keys = keysOf(layer.key);
          const slots = Array.from({ length: numKvHeads }, (_, g) =>
            selectSnapKvSlots(
              {
                query: queries[l],
                queryLength: count,
                numHeads,
                headDim,
                scale,
                key: keys.subarray(g * count * headDim, (g + 1) * count * headDim),
                length: count,
                kvHead: g,
                group,
              },
              options,
            ),
          );
          positions[l] = slots.map((kept) => Int32Array.from(kept, (slot) => start + slot));
          return { key: gatherHeadSlots(layer.key, slots), value: gatherHeadSlots(layer.value, slots) };
        });
        slotCount = options.capacity;
      } else {
        past = [...present];
        positions =
          slotCount === 0
            ? Array.from({ length: numLayers }, () => Array.from({ length: numKvHeads }, () => fresh))
            : positions.map((heads) =>
                heads.map((held) => {
                  const next = new Int32Array(held.length + count);
                  next.set(held);
                  next.set(fresh, held.length);
                  return next;
                }),
              );
        slotCount = total;
      }
      observed = undefined;
      resident = measure(past);
      peak = Math.max(peak, resident);
    },
    past: () => past,
    length: () => slotCount,
    positions: (layer = 0, head = 0) => (positions[layer]?.[head] ?? new Int32Array(0)).slice(),
    bytes: (): KvBytes => ({ resident, peak }),
  };
}
