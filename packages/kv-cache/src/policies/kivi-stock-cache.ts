import {
  createTensor,
  type Dtype,
  dtypeByteLength,
  float16ToFloat32,
  float32ToFloat16,
  type Tensor,
} from '@x/core';
import { appendKiviToken, type KiviCache, unpackKiviCache } from '@x/kernels-wasm';
import { KvCacheError } from '../errors';
import type { KvBytes, KvCacheShape, StockKvCache, StockLayerKv } from '../policy/types';
import {
  flushKiviWindow,
  growKiviCache,
  type KiviLayerSettings,
  kiviCacheIsFull,
  kiviHeldBytes,
  packKiviPrefill,
} from './kivi-pack';

/** A stock-mode KIVI cache: the same packed state as split mode, dequantized into the graph's float past. */
export interface KiviStockCache extends StockKvCache {
  /** The packed cache of layer `layer` (read-only use: tests compare it with split mode's). */
  packed(layer: number): KiviCache | undefined;
}

function tensorBytes(tensor: Tensor): number {
  return dtypeByteLength(tensor.dtype, tensor.data.length);
}

/** `[1, H, S, D]` as float32 (a view when it already is). */
function asFloat32(tensor: Tensor, what: string): Float32Array {
  if (tensor.dtype === 'float32') return tensor.data as Float32Array;
  if (tensor.dtype === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  throw new KvCacheError('KV_MODEL', `${what} has dtype ${tensor.dtype}; expected float32 or float16`, {
    details: { output: what, dtype: tensor.dtype },
  });
}

/** Row `u` of every head of `[heads, length, headDim]` data, as `[heads, headDim]`. */
function headRows(
  data: Float32Array,
  heads: number,
  length: number,
  headDim: number,
  u: number,
): Float32Array {
  const out = new Float32Array(heads * headDim);
  for (let h = 0; h < heads; h++)
    out.set(data.subarray((h * length + u) * headDim, (h * length + u + 1) * headDim), h * headDim);
  return out;
}

/**
 * KIVI / KVTuner in stock mode (kv-cache brief §0.5, §2.1): quantized storage BETWEEN steps. `update` packs the
 * step's new rows into the same KIVI layout as split mode, by the same code (`packKiviPrefill` on the first step,
 * then per token `appendKiviToken` + `flushKiviWindow`, KIVI's order): keys per channel and values per token over
 * groups of 32, the fp32 residual window. `past()` dequantizes every layer into the float `[1, H_kv, S, D]` tensors
 * the graph takes (in the present's dtype), once per step. So the graph attends over exactly the values split
 * mode's `kiviAttention` reads: dequantized codes plus the fp32 window, with this step's rows in fp32.
 *
 * A multi-token step after the first attends over its own rows in fp32 inside the graph (split mode runs such
 * steps one token at a time over the packed cache); the state after the step is the same.
 *
 * Memory: resident = the packed bytes (`kiviHeldBytes`, codes + fp32 scale/min per group + the fp32 window). Peak
 * = resident + the dequantized float past + this step's `present` (ORT holds both during `session.run`, §0.5):
 * quantization does not lower the peak of a stock graph, only what stays between steps.
 */
export function createKiviStockCache(
  shape: KvCacheShape,
  settings: readonly KiviLayerSettings[],
): KiviStockCache {
  const { numLayers, numKvHeads, headDim } = shape;
  if (settings.length !== numLayers) {
    throw new KvCacheError(
      'KV_STATE',
      `KIVI stock cache: ${settings.length} layer settings for ${numLayers} layers`,
      {
        details: { layers: settings.length, numLayers },
      },
    );
  }
  let caches: KiviCache[] = [];
  let firstPosition = 0;
  let dtype: Dtype = 'float32';
  let past: StockLayerKv[] | undefined;
  let pastBytes = 0;
  let resident = 0;
  let peak = 0;
  const length = () => caches[0]?.length ?? 0;
  const measure = () =>
    caches.reduce(
      (sum, cache, l) => sum + kiviHeldBytes(cache, settings[l].keyBits, settings[l].valueBits),
      0,
    );

  return {
    update(present, start, count) {
      if (present.length !== numLayers) {
        throw new KvCacheError(
          'KV_STATE',
          `KIVI stock cache: got ${present.length} layers of present, expected ${numLayers}`,
          { details: { layers: present.length } },
        );
      }
      const held = length();
      const total = held + count;
      for (const [l, layer] of present.entries()) {
        for (const tensor of [layer.key, layer.value]) {
          const [batch, heads, slots, d] = tensor.dims;
          if (batch !== 1 || heads !== numKvHeads || slots !== total || d !== headDim) {
            throw new KvCacheError(
              'KV_STATE',
              `KIVI stock cache: present of layer ${l} is [${tensor.dims.join(', ')}], expected [1, ${numKvHeads}, ${total}, ${headDim}] (past ${held} + new ${count})`,
              { details: { layer: l, dims: tensor.dims, expected: total } },
            );
          }
        }
      }
      if (held > 0 && start !== firstPosition + held) {
        throw new KvCacheError(
          'KV_STATE',
          `KIVI stock cache: rows start at position ${start}, expected ${firstPosition + held}`,
          { details: { start, expected: firstPosition + held } },
        );
      }
      const presentBytes = present.reduce(
        (sum, layer) => sum + tensorBytes(layer.key) + tensorBytes(layer.value),
        0,
      );
      peak = Math.max(peak, resident + pastBytes + presentBytes);
      dtype = present[0].key.dtype;
      if (held === 0) {
        firstPosition = start;
        caches = present.map((layer, l) =>
          packKiviPrefill(
            asFloat32(layer.key, `present.${l}.key`),
            asFloat32(layer.value, `present.${l}.value`),
            count,
            shape,
            settings[l],
          ),
        );
      } else {
        caches = present.map((layer, l) => {
          const key = asFloat32(layer.key, `present.${l}.key`);
          const value = asFloat32(layer.value, `present.${l}.value`);
          let cache = caches[l];
          for (let t = 0; t < count; t++) {
            if (kiviCacheIsFull(cache)) cache = growKiviCache(cache, cache.capacity * 2);
            appendKiviToken(
              cache,
              headRows(key, numKvHeads, total, headDim, held + t),
              headRows(value, numKvHeads, total, headDim, held + t),
            );
            flushKiviWindow(cache, settings[l]);
          }
          return cache;
        });
      }
      past = undefined;
      pastBytes = 0;
      resident = measure();
      // The step's present is alive until the caller drops it.
      peak = Math.max(peak, resident + presentBytes);
    },
    past() {
      if (caches.length === 0) return [];
      if (!past) {
        const slots = length();
        past = caches.map((cache) => {
          const key = new Float32Array(numKvHeads * slots * headDim);
          const value = new Float32Array(numKvHeads * slots * headDim);
          unpackKiviCache(cache, key, value);
          const dims = [1, numKvHeads, slots, headDim];
          return dtype === 'float16'
            ? {
                key: createTensor('float16', dims, float32ToFloat16(key)),
                value: createTensor('float16', dims, float32ToFloat16(value)),
              }
            : { key: createTensor('float32', dims, key), value: createTensor('float32', dims, value) };
        });
        pastBytes = past.reduce((sum, layer) => sum + tensorBytes(layer.key) + tensorBytes(layer.value), 0);
        peak = Math.max(peak, resident + pastBytes);
      }
      return past;
    },
    length,
    positions: () => Int32Array.from({ length: length() }, (_, i) => firstPosition + i),
    bytes: (): KvBytes => ({ resident, peak }),
    packed: (layer) => caches[layer],
  };
}
