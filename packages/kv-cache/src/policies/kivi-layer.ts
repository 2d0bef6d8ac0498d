import {
  appendKiviToken,
  attention,
  createKiviCache,
  flushKiviCache,
  KIVI_GROUP_SIZE,
  type KiviBits,
  type KiviCache,
  type KiviKernelCache,
  kiviAttention,
  packKiviCache,
  uploadKiviCache,
} from '@x/kernels-wasm';
import { KvCacheError } from '../errors';
import type { KvCacheContext, KvCacheShape, KvLayerCache, KvQueries, KvRows } from '../policy/types';
import { fakeQuantizeKeyRows, fakeQuantizeValueRows } from './kivi-fake-quant';

/** Bits of one layer's packed cache and KIVI's fp32 residual length. */
export interface KiviLayerSettings {
  keyBits: KiviBits;
  valueBits: KiviBits;
  /** KIVI's residual length R (a positive multiple of 32). */
  residualLength: number;
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
function growKiviCache(cache: KiviCache, capacity: number): KiviCache {
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

function roundCapacity(tokens: number): number {
  return Math.ceil(tokens / 256) * 256;
}

/** Rows `t` of every head of a head-major `[heads, length, width]` array, as `[heads, width]`. */
function rowOf(source: Float32Array, heads: number, length: number, width: number, t: number): Float32Array {
  if (length === 1) return source;
  const out = new Float32Array(heads * width);
  for (let h = 0; h < heads; h++)
    out.set(source.subarray((h * length + t) * width, (h * length + t + 1) * width), h * width);
  return out;
}

/**
 * One layer of a KIVI cache (Liu et al. 2024, arXiv 2402.02750; kv-cache brief §2.1), packed in
 * @x/kernels-wasm's `KiviCache` layout and written by its reference packers (`packKiviCache`, `appendKiviToken`,
 * `flushKiviCache`): keys per channel and values per token, groups of 32, fp32 residual window of R tokens.
 * Prefill attends in fp32 (as KIVI's own prefill does) and then packs; each decode token joins the fp32 windows,
 * attention runs on the packed cache (`kiviAttention`, the tiles are dequantized inside the kernel), and the key
 * flush / value overflow follow the attention. Tokens of a multi-token step after prefill run one at a time (exact
 * KIVI mechanics). With `keyBits ≠ valueBits` (KVTuner's pairs) the container has the wider width and the
 * narrower side is quantized on its own grid first (see `fakeQuantizeKiviGroup`); held bytes are counted at the
 * nominal widths.
 */
export function createKiviLayer(
  layer: number,
  shape: KvCacheShape,
  context: KvCacheContext,
  settings: KiviLayerSettings,
): KvLayerCache & { dispose(): void } {
  const { numHeads, numKvHeads, headDim } = shape;
  const { keyBits, valueBits, residualLength } = settings;
  const container = Math.max(keyBits, valueBits) as KiviBits;
  // The packed cache lives in the kernels' memory (read in place by `kiviAttention`); `.cache` is re-read after
  // anything that may grow that memory.
  let resident: KiviKernelCache | undefined;
  let pending: KvRows | undefined;
  let firstPosition = 0;
  let held = 0;
  const account = (bytes: number) => {
    context.meter.change(bytes - held);
    held = bytes;
  };

  function prefill(rows: KvRows, queries: KvQueries): Float32Array {
    const { count } = rows;
    const output = attention(
      context.kernels,
      {
        query: queries.query,
        key: rows.key,
        value: rows.value,
        numHeads,
        numKvHeads,
        queryLength: queries.queryLength,
        kvLength: count,
        headDim,
      },
      { scale: queries.scale, causal: true },
    );
    const key = keyBits < container ? rows.key.slice() : rows.key;
    const value = valueBits < container ? rows.value.slice() : rows.value;
    const keyQuantized = count - (count % residualLength);
    if (keyBits < container) {
      fakeQuantizeKeyRows(key, numKvHeads, count, headDim, 0, keyQuantized / KIVI_GROUP_SIZE, keyBits);
    }
    if (valueBits < container) {
      fakeQuantizeValueRows(
        value,
        numKvHeads,
        count,
        headDim,
        0,
        Math.max(0, count - residualLength),
        valueBits,
      );
    }
    const packed = packKiviCache(key, value, {
      numKvHeads,
      kvLength: count,
      headDim,
      bits: container,
      residualLength,
      capacity: roundCapacity(count + residualLength),
      residualCapacity: residualLength + 1,
    });
    resident = uploadKiviCache(context.kernels, packed);
    firstPosition = rows.start;
    account(kiviHeldBytes(packed, keyBits, valueBits));
    return output;
  }

  function decodeToken(
    key: Float32Array,
    value: Float32Array,
    query: Float32Array,
    scale: number,
  ): Float32Array {
    let handle = resident as KiviKernelCache;
    if (handle.cache.length + 1 > handle.cache.capacity) {
      const grown = growKiviCache(handle.cache, handle.cache.capacity * 2);
      handle.free();
      handle = uploadKiviCache(context.kernels, grown);
      resident = handle;
    }
    appendKiviToken(handle.cache, key, value);
    let target = handle.cache;
    account(kiviHeldBytes(target, keyBits, valueBits));
    const output = kiviAttention(
      context.kernels,
      { query, numHeads, queryLength: 1, cache: target },
      { scale },
    );
    // The kernel call may have grown the memory: re-read the views.
    target = handle.cache;
    if (keyBits < container && target.keyResidualLength >= residualLength) {
      const groups = Math.floor(target.keyResidualLength / KIVI_GROUP_SIZE);
      fakeQuantizeKeyRows(
        target.keyResidual,
        numKvHeads,
        target.residualCapacity,
        headDim,
        0,
        groups,
        keyBits,
      );
    }
    if (valueBits < container) {
      const overflow = Math.max(0, target.valueResidualLength - residualLength);
      fakeQuantizeValueRows(
        target.valueResidual,
        numKvHeads,
        target.residualCapacity,
        headDim,
        0,
        overflow,
        valueBits,
      );
    }
    flushKiviCache(target, residualLength);
    account(kiviHeldBytes(target, keyBits, valueBits));
    return output;
  }

  return {
    layer,
    append(rows) {
      if (pending) {
        throw new KvCacheError('KV_STATE', `KIVI layer ${layer}: append called twice before attend`, {
          details: { layer },
        });
      }
      const held = resident?.cache.length;
      if (held !== undefined && rows.start !== firstPosition + held) {
        throw new KvCacheError(
          'KV_STATE',
          `KIVI layer ${layer}: rows start at position ${rows.start}, expected ${firstPosition + held}`,
          { details: { layer, start: rows.start } },
        );
      }
      pending = rows;
      if (!resident) context.meter.change(2 * rows.key.length * 4);
    },
    attend(queries) {
      const rows = pending;
      if (!rows) {
        throw new KvCacheError('KV_STATE', `KIVI layer ${layer}: attend before append`, {
          details: { layer },
        });
      }
      pending = undefined;
      if (!resident) {
        const output = prefill(rows, queries);
        context.meter.change(-2 * rows.key.length * 4);
        return output;
      }
      const { count } = rows;
      if (count === 1) return decodeToken(rows.key, rows.value, queries.query, queries.scale);
      const output = new Float32Array(numHeads * count * headDim);
      for (let t = 0; t < count; t++) {
        const step = decodeToken(
          rowOf(rows.key, numKvHeads, count, headDim, t),
          rowOf(rows.value, numKvHeads, count, headDim, t),
          rowOf(queries.query, numHeads, count, headDim, t),
          queries.scale,
        );
        for (let h = 0; h < numHeads; h++)
          output.set(step.subarray(h * headDim, (h + 1) * headDim), (h * count + t) * headDim);
      }
      return output;
    },
    length: () => resident?.cache.length ?? 0,
    positions: () => Int32Array.from({ length: resident?.cache.length ?? 0 }, (_, i) => firstPosition + i),
    residentBytes: () => held,
    dispose() {
      resident?.free();
      resident = undefined;
    },
  };
}
