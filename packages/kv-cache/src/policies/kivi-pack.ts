import {
  createKiviCache,
  flushKiviCache,
  KIVI_GROUP_SIZE,
  type KiviBits,
  type KiviCache,
  packKiviCache,
} from '@x/kernels-wasm';
import { fakeQuantizeKeyRows, fakeQuantizeValueRows } from './kivi-fake-quant';

/** Bits of one layer's packed cache and KIVI's fp32 residual length. */
export interface KiviLayerSettings {
  keyBits: KiviBits;
  valueBits: KiviBits;
  /** KIVI's residual length R (a positive multiple of 32). */
  residualLength: number;
}

/** The container width of a layer: the wider of its key and value bits (KVTuner's mixed pairs nest inside it). */
export function kiviContainerBits(settings: KiviLayerSettings): KiviBits {
  return Math.max(settings.keyBits, settings.valueBits) as KiviBits;
}

/**
 * Bytes a KIVI layer holds for `cache` at the given key/value bits: per quantized group 32 codes (`4·bits` bytes)
 * plus an fp32 scale and min (KIVI keeps fp16; the kernels keep fp32), and the fp32 residual rows.
 */
export function kiviHeldBytes(cache: KiviCache, keyBits: KiviBits, valueBits: KiviBits): number {
  const { numKvHeads, headDim } = cache;
  const keyGroups = (cache.keyQuantizedLength / KIVI_GROUP_SIZE) * headDim;
  const valueGroups = cache.valueQuantizedLength * (headDim / KIVI_GROUP_SIZE);
  const residualRows = cache.keyResidualLength + cache.valueResidualLength;
  return (
    numKvHeads *
    (keyGroups * (4 * keyBits + 8) + valueGroups * (4 * valueBits + 8) + residualRows * headDim * 4)
  );
}

/** A copy of `cache` with room for `capacity` quantized tokens (the layout's strides depend on capacity). */
export function growKiviCache(cache: KiviCache, capacity: number): KiviCache {
  const next = createKiviCache({
    numKvHeads: cache.numKvHeads,
    headDim: cache.headDim,
    bits: cache.bits,
    capacity,
    residualCapacity: cache.residualCapacity,
  });
  const copyPerHead = (from: Uint8Array | Float32Array, to: Uint8Array | Float32Array) => {
    const oldStride = from.length / cache.numKvHeads;
    const newStride = to.length / cache.numKvHeads;
    for (let g = 0; g < cache.numKvHeads; g++) {
      (to as Float32Array).set(
        (from as Float32Array).subarray(g * oldStride, (g + 1) * oldStride),
        g * newStride,
      );
    }
  };
  copyPerHead(cache.keyCodes, next.keyCodes);
  copyPerHead(cache.keyScales, next.keyScales);
  copyPerHead(cache.keyMins, next.keyMins);
  copyPerHead(cache.valueCodes, next.valueCodes);
  copyPerHead(cache.valueScales, next.valueScales);
  copyPerHead(cache.valueMins, next.valueMins);
  next.keyResidual.set(cache.keyResidual);
  next.valueResidual.set(cache.valueResidual);
  next.length = cache.length;
  next.keyQuantizedLength = cache.keyQuantizedLength;
  next.keyResidualLength = cache.keyResidualLength;
  next.valueQuantizedLength = cache.valueQuantizedLength;
  next.valueResidualLength = cache.valueResidualLength;
  return next;
}

/** True when one more decode token would not fit the cache's quantized capacity (grow before appending). */
export function kiviCacheIsFull(cache: KiviCache): boolean {
  return cache.length + 1 > cache.capacity;
}

/**
 * Packs a prefill's post-RoPE keys and values `[numKvHeads, count, headDim]` into a new KIVI cache (kv-cache brief
 * §2.1: keys `count − count mod R` quantized per channel, values `max(0, count − R)` per token, the rest fp32), by
 * @x/kernels-wasm's reference packer. With `keyBits ≠ valueBits` (KVTuner) the container is the wider width and the
 * narrower side is quantized on its own grid first (`fakeQuantizeKiviGroup`: the grids nest, so the container
 * reproduces it). The inputs are not modified. Capacity: the prompt plus R, rounded up to 256 tokens.
 */
export function packKiviPrefill(
  key: Float32Array,
  value: Float32Array,
  count: number,
  heads: { numKvHeads: number; headDim: number },
  settings: KiviLayerSettings,
): KiviCache {
  const { numKvHeads, headDim } = heads;
  const { keyBits, valueBits, residualLength } = settings;
  const container = kiviContainerBits(settings);
  const keys = keyBits < container ? key.slice() : key;
  const values = valueBits < container ? value.slice() : value;
  if (keyBits < container) {
    const quantized = count - (count % residualLength);
    fakeQuantizeKeyRows(keys, numKvHeads, count, headDim, 0, quantized / KIVI_GROUP_SIZE, keyBits);
  }
  if (valueBits < container) {
    fakeQuantizeValueRows(
      values,
      numKvHeads,
      count,
      headDim,
      0,
      Math.max(0, count - residualLength),
      valueBits,
    );
  }
  return packKiviCache(keys, values, {
    numKvHeads,
    kvLength: count,
    headDim,
    bits: container,
    residualLength,
    capacity: Math.ceil((count + residualLength) / 256) * 256,
    residualCapacity: residualLength + 1,
  });
}

/**
 * KIVI's post-attention step of a decode token (after `appendKiviToken` and the attention that read the token in
 * fp32): quantize the key window once it holds R tokens and the values older than the newest R
 * (`flushKiviCache`), with the narrower side of a mixed pair put on its own grid first.
 */
export function flushKiviWindow(cache: KiviCache, settings: KiviLayerSettings): void {
  const { keyBits, valueBits, residualLength } = settings;
  const container = kiviContainerBits(settings);
  const { numKvHeads, headDim, residualCapacity } = cache;
  if (keyBits < container && cache.keyResidualLength >= residualLength) {
    const groups = Math.floor(cache.keyResidualLength / KIVI_GROUP_SIZE);
    fakeQuantizeKeyRows(cache.keyResidual, numKvHeads, residualCapacity, headDim, 0, groups, keyBits);
  }
  if (valueBits < container) {
    const overflow = Math.max(0, cache.valueResidualLength - residualLength);
    fakeQuantizeValueRows(cache.valueResidual, numKvHeads, residualCapacity, headDim, 0, overflow, valueBits);
  }
  flushKiviCache(cache, residualLength);
}
