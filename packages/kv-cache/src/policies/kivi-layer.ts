import {
  appendKiviToken,
  attention,
  type KiviKernelCache,
  kiviAttention,
  uploadKiviCache,
} from '@x/kernels-wasm';
import { KvCacheError } from '../errors';
import type { KvCacheContext, KvCacheShape, KvLayerCache, KvQueries, KvRows } from '../policy/types';
import {
  flushKiviWindow,
  growKiviCache,
  type KiviLayerSettings,
  kiviCacheIsFull,
  kiviHeldBytes,
  packKiviPrefill,
} from './kivi-pack';

export type { KiviLayerSettings } from './kivi-pack';
export { kiviHeldBytes } from './kivi-pack';

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
  const { keyBits, valueBits } = settings;
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
    const packed = packKiviPrefill(rows.key, rows.value, count, shape, settings);
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
    if (kiviCacheIsFull(handle.cache)) {
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
    flushKiviWindow(target, settings);
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
