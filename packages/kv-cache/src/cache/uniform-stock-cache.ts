import { createTensor, dtypeByteLength, type Tensor } from '@x/core';
import { KvCacheError } from '../errors';
import type { KvBytes, KvCacheShape, StockKvCache, StockLayerKv } from '../policy/types';

/**
 * Chooses which of `length` held slots (positions given, increasing) stay; `undefined` keeps all.
 * The same slots are kept in every layer and head (the stock graph's one-S contract, brief §0.1).
 */
export type UniformSlotSelector = (positions: Int32Array) => Int32Array | undefined;

function tensorBytes(tensor: Tensor): number {
  return dtypeByteLength(tensor.dtype, tensor.data.length);
}

/** Gathers slots of a `[1, H_kv, S, D]` tensor along the sequence axis. */
export function gatherSlots(tensor: Tensor, slots: Int32Array): Tensor {
  const [batch, heads, length, d] = tensor.dims;
  const source = tensor.data as unknown as { subarray(a: number, b: number): ArrayLike<number> };
  const Constructor = (tensor.data as unknown as { constructor: new (n: number) => Float32Array })
    .constructor;
  const target = new Constructor(batch * heads * slots.length * d);
  for (let h = 0; h < batch * heads; h++) {
    for (let s = 0; s < slots.length; s++) {
      const from = (h * length + slots[s]) * d;
      target.set(source.subarray(from, from + d), (h * slots.length + s) * d);
    }
  }
  return createTensor(tensor.dtype, [batch, heads, slots.length, d], target as never);
}

/**
 * A stock-graph cache that keeps ORT's `present` tensors as the next past (no copy) when nothing is evicted, and
 * gathers the selected slots otherwise. Peak counts the previous past and this step's present together (both are
 * alive during `session.run`).
 */
export function createUniformStockCache(shape: KvCacheShape, select: UniformSlotSelector): StockKvCache {
  let past: StockLayerKv[] = [];
  let positions = new Int32Array(0);
  let resident = 0;
  let peak = 0;
  const measure = (layers: readonly StockLayerKv[]) =>
    layers.reduce((sum, layer) => sum + tensorBytes(layer.key) + tensorBytes(layer.value), 0);
  return {
    update(present, start, count) {
      if (present.length !== shape.numLayers) {
        throw new KvCacheError(
          'KV_STATE',
          `stock cache: got ${present.length} layers of present, expected ${shape.numLayers}`,
          { details: { layers: present.length } },
        );
      }
      const expected = positions.length + count;
      const held = present[0].key.dims[2];
      if (held !== expected) {
        throw new KvCacheError(
          'KV_STATE',
          `stock cache: present holds ${held} slots, expected past ${positions.length} + new ${count}`,
          { details: { held, expected } },
        );
      }
      const next = new Int32Array(expected);
      next.set(positions);
      for (let i = 0; i < count; i++) next[positions.length + i] = start + i;
      const presentBytes = measure(present);
      peak = Math.max(peak, resident + presentBytes);
      const slots = select(next);
      if (slots === undefined) {
        past = [...present];
        positions = next;
      } else {
        past = present.map((layer) => ({
          key: gatherSlots(layer.key, slots),
          value: gatherSlots(layer.value, slots),
        }));
        positions = Int32Array.from(slots, (slot) => next[slot]);
      }
      resident = measure(past);
      peak = Math.max(peak, resident);
    },
    past: () => past,
    length: () => positions.length,
    positions: () => positions.slice(),
    bytes: (): KvBytes => ({ resident, peak }),
  };
}
