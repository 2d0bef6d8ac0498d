/**
 * Reference KIVI quantization and packing into the `KiviCache` layout (KIVI, arXiv 2402.02750; the
 * brief's section 2.1 of shared/reference/kv-cache-spec-decode.md, checked against
 * jy-yuan/KIVI quant/new_pack.py): asymmetric uniform codes per group of 32, keys per channel
 * (groups along tokens), values per token (groups along channels), fp32 residual windows.
 *
 * Cache mechanics (KIVI's, residual length R, a positive multiple of 32):
 * - prefill of T tokens: keys `T - T % R` quantized, the rest fp32; values `max(0, T - R)` quantized;
 * - decode: `appendKiviToken` puts the new key/value into the windows (attention then reads them in
 *   fp32); `flushKiviCache` afterwards quantizes the key window once it holds R tokens and moves
 *   values older than the last R tokens into the quantized part.
 */
import { createKiviCache, KIVI_GROUP_SIZE, type KiviBits, type KiviCache } from '../attention-kivi-cache';
import { checkArray, checkCount } from '../attention-validate';
import { KernelError } from '../errors';

/**
 * Quantizes 32 values `read(0..31)` to `bits`-bit codes written at `codes[offset ..]` in the packed
 * order (code t: byte t % (4 bits), shift bits * floor(t / (4 bits))). Returns `[scale, min]`.
 */
export function quantizeKiviGroup(
  read: (t: number) => number,
  bits: KiviBits,
  codes: Uint8Array,
  offset: number,
): [scale: number, min: number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < KIVI_GROUP_SIZE; t++) {
    const x = read(t);
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const top = (1 << bits) - 1;
  // Stored as fp32, and dequantization uses the stored values: quantize against them too.
  const scale = Math.fround((max - min) / top);
  const mn = Math.fround(min);
  const groupBytes = 4 * bits;
  codes.fill(0, offset, offset + groupBytes);
  for (let t = 0; t < KIVI_GROUP_SIZE; t++) {
    const q = scale > 0 ? Math.round(Math.min(top, Math.max(0, (read(t) - mn) / scale))) : 0;
    codes[offset + (t % groupBytes)] |= q << (bits * Math.floor(t / groupBytes));
  }
  return [scale, mn];
}

/** Code `t` of the group at `codes[offset ..]`. */
export function readKiviCode(codes: Uint8Array, offset: number, bits: KiviBits, t: number): number {
  const groupBytes = 4 * bits;
  return (codes[offset + (t % groupBytes)] >> (bits * Math.floor(t / groupBytes))) & ((1 << bits) - 1);
}

function checkResidualLength(kernel: string, residualLength: number): void {
  checkCount(kernel, 'residualLength', residualLength);
  if (residualLength % KIVI_GROUP_SIZE !== 0) {
    throw new KernelError(
      'KERNEL_INVALID_ARGUMENT',
      `${kernel}: residualLength: ${residualLength} is not a multiple of 32`,
      {
        details: { kernel, argument: 'residualLength', residualLength },
      },
    );
  }
}

/** Quantizes key group `group` (tokens 32*group ..) of every channel of head g from `read(t, c)`. */
function quantizeKeyGroup(
  cache: KiviCache,
  g: number,
  group: number,
  read: (t: number, c: number) => number,
): void {
  const { headDim, bits, capacity } = cache;
  const groupBytes = 4 * bits;
  for (let c = 0; c < headDim; c++) {
    const slot = (g * (capacity / KIVI_GROUP_SIZE) + group) * headDim + c;
    const [scale, min] = quantizeKiviGroup((t) => read(t, c), bits, cache.keyCodes, slot * groupBytes);
    cache.keyScales[slot] = scale;
    cache.keyMins[slot] = min;
  }
}

/** Quantizes the value of token u of head g from `read(c)`. */
function quantizeValueToken(cache: KiviCache, g: number, u: number, read: (c: number) => number): void {
  const { headDim, bits, capacity } = cache;
  const groups = headDim / KIVI_GROUP_SIZE;
  for (let cg = 0; cg < groups; cg++) {
    const slot = (g * capacity + u) * groups + cg;
    const [scale, min] = quantizeKiviGroup(
      (t) => read(cg * KIVI_GROUP_SIZE + t),
      bits,
      cache.valueCodes,
      slot * 4 * bits,
    );
    cache.valueScales[slot] = scale;
    cache.valueMins[slot] = min;
  }
}

export interface PackKiviCacheOptions {
  numKvHeads: number;
  kvLength: number;
  /** A multiple of 32. */
  headDim: number;
  bits: KiviBits;
  /** KIVI's residual length R, a positive multiple of 32 (KIVI's paper setting: 128). */
  residualLength: number;
  /** @defaultValue kvLength (rounded up to 32) */
  capacity?: number;
  /** @defaultValue residualLength + 1 */
  residualCapacity?: number;
}

/** Packs a prefill's keys and values `[numKvHeads, kvLength, headDim]` into a new KIVI cache. */
export function packKiviCache(
  key: Float32Array,
  value: Float32Array,
  options: PackKiviCacheOptions,
): KiviCache {
  const kernel = 'packKiviCache';
  const { numKvHeads, kvLength, headDim, bits, residualLength } = options;
  checkCount(kernel, 'kvLength', kvLength, true);
  checkResidualLength(kernel, residualLength);
  const cache = createKiviCache({
    numKvHeads,
    headDim,
    bits,
    capacity: options.capacity ?? kvLength,
    residualCapacity: options.residualCapacity ?? residualLength + 1,
  });
  checkArray(kernel, 'key', key, 'Float32Array', numKvHeads * kvLength * headDim);
  checkArray(kernel, 'value', value, 'Float32Array', numKvHeads * kvLength * headDim);
  const keyQuantized = kvLength - (kvLength % residualLength);
  const valueQuantized = Math.max(0, kvLength - residualLength);
  const keyResidual = kvLength - keyQuantized;
  const valueResidual = kvLength - valueQuantized;
  if (keyQuantized > cache.capacity || valueQuantized > cache.capacity) {
    throw new KernelError(
      'KERNEL_BUFFER_TOO_SMALL',
      `${kernel}: capacity: ${cache.capacity} tokens cannot hold ${keyQuantized}`,
      {
        details: { kernel, argument: 'capacity', capacity: cache.capacity, needed: keyQuantized },
      },
    );
  }
  if (Math.max(keyResidual, valueResidual) > cache.residualCapacity) {
    throw new KernelError(
      'KERNEL_BUFFER_TOO_SMALL',
      `${kernel}: residualCapacity: ${cache.residualCapacity} is below ${residualLength}`,
      {
        details: { kernel, argument: 'residualCapacity', residualCapacity: cache.residualCapacity },
      },
    );
  }
  for (let g = 0; g < numKvHeads; g++) {
    const base = g * kvLength * headDim;
    for (let group = 0; group < keyQuantized / KIVI_GROUP_SIZE; group++) {
      quantizeKeyGroup(cache, g, group, (t, c) => key[base + (group * KIVI_GROUP_SIZE + t) * headDim + c]);
    }
    for (let u = 0; u < valueQuantized; u++)
      quantizeValueToken(cache, g, u, (c) => value[base + u * headDim + c]);
    const residualBase = g * cache.residualCapacity * headDim;
    cache.keyResidual.set(
      key.subarray(base + keyQuantized * headDim, base + kvLength * headDim),
      residualBase,
    );
    cache.valueResidual.set(
      value.subarray(base + valueQuantized * headDim, base + kvLength * headDim),
      residualBase,
    );
  }
  cache.length = kvLength;
  cache.keyQuantizedLength = keyQuantized;
  cache.keyResidualLength = keyResidual;
  cache.valueQuantizedLength = valueQuantized;
  cache.valueResidualLength = valueResidual;
  return cache;
}

/** Appends one decode token's key and value (`[numKvHeads, headDim]` each) to the fp32 windows. */
export function appendKiviToken(cache: KiviCache, key: Float32Array, value: Float32Array): void {
  const kernel = 'appendKiviToken';
  const { numKvHeads, headDim, residualCapacity } = cache;
  checkArray(kernel, 'key', key, 'Float32Array', numKvHeads * headDim);
  checkArray(kernel, 'value', value, 'Float32Array', numKvHeads * headDim);
  if (cache.keyResidualLength >= residualCapacity || cache.valueResidualLength >= residualCapacity) {
    throw new KernelError(
      'KERNEL_BUFFER_TOO_SMALL',
      `${kernel}: cache: the residual window is full; call flushKiviCache`,
      {
        details: { kernel, argument: 'cache', residualCapacity },
      },
    );
  }
  for (let g = 0; g < numKvHeads; g++) {
    const base = g * residualCapacity * headDim;
    cache.keyResidual.set(
      key.subarray(g * headDim, (g + 1) * headDim),
      base + cache.keyResidualLength * headDim,
    );
    cache.valueResidual.set(
      value.subarray(g * headDim, (g + 1) * headDim),
      base + cache.valueResidualLength * headDim,
    );
  }
  cache.keyResidualLength++;
  cache.valueResidualLength++;
  cache.length++;
}

/**
 * KIVI's post-attention step: quantize the key window once it holds `residualLength` tokens, and
 * quantize values older than the newest `residualLength`.
 */
export function flushKiviCache(cache: KiviCache, residualLength: number): void {
  const kernel = 'flushKiviCache';
  checkResidualLength(kernel, residualLength);
  const { numKvHeads, headDim, residualCapacity } = cache;
  const overflowValues = Math.max(0, cache.valueResidualLength - residualLength);
  const flushKeys = cache.keyResidualLength >= residualLength;
  const keyGroups = flushKeys ? Math.floor(cache.keyResidualLength / KIVI_GROUP_SIZE) : 0;
  if (
    cache.keyQuantizedLength + keyGroups * KIVI_GROUP_SIZE > cache.capacity ||
    cache.valueQuantizedLength + overflowValues > cache.capacity
  ) {
    throw new KernelError('KERNEL_BUFFER_TOO_SMALL', `${kernel}: cache: capacity ${cache.capacity} is full`, {
      details: { kernel, argument: 'cache', capacity: cache.capacity },
    });
  }
  for (let g = 0; g < numKvHeads; g++) {
    const base = g * residualCapacity * headDim;
    for (let group = 0; group < keyGroups; group++) {
      const target = cache.keyQuantizedLength / KIVI_GROUP_SIZE + group;
      quantizeKeyGroup(
        cache,
        g,
        target,
        (t, c) => cache.keyResidual[base + (group * KIVI_GROUP_SIZE + t) * headDim + c],
      );
    }
    cache.keyResidual.copyWithin(
      base,
      base + keyGroups * KIVI_GROUP_SIZE * headDim,
      base + cache.keyResidualLength * headDim,
    );
    for (let u = 0; u < overflowValues; u++) {
      quantizeValueToken(
        cache,
        g,
        cache.valueQuantizedLength + u,
        (c) => cache.valueResidual[base + u * headDim + c],
      );
    }
    cache.valueResidual.copyWithin(
      base,
      base + overflowValues * headDim,
      base + cache.valueResidualLength * headDim,
    );
  }
  cache.keyQuantizedLength += keyGroups * KIVI_GROUP_SIZE;
  cache.keyResidualLength -= keyGroups * KIVI_GROUP_SIZE;
  cache.valueQuantizedLength += overflowValues;
  cache.valueResidualLength -= overflowValues;
}

/** The fp32 keys and values `[numKvHeads, length, headDim]` a cache stands for (codes * scale + min). */
export function dequantizeKiviCache(cache: KiviCache): { key: Float32Array; value: Float32Array } {
  const { numKvHeads, headDim, bits, capacity, residualCapacity, length } = cache;
  const key = new Float32Array(numKvHeads * length * headDim);
  const value = new Float32Array(numKvHeads * length * headDim);
  const groupBytes = 4 * bits;
  const valueGroups = headDim / KIVI_GROUP_SIZE;
  for (let g = 0; g < numKvHeads; g++) {
    const out = g * length * headDim;
    const residualBase = g * residualCapacity * headDim;
    for (let u = 0; u < length; u++) {
      for (let c = 0; c < headDim; c++) {
        if (u < cache.keyQuantizedLength) {
          const slot = (g * (capacity / KIVI_GROUP_SIZE) + Math.floor(u / KIVI_GROUP_SIZE)) * headDim + c;
          const code = readKiviCode(cache.keyCodes, slot * groupBytes, bits, u % KIVI_GROUP_SIZE);
          key[out + u * headDim + c] = code * cache.keyScales[slot] + cache.keyMins[slot];
        } else {
          key[out + u * headDim + c] =
            cache.keyResidual[residualBase + (u - cache.keyQuantizedLength) * headDim + c];
        }
        if (u < cache.valueQuantizedLength) {
          const slot = (g * capacity + u) * valueGroups + Math.floor(c / KIVI_GROUP_SIZE);
          const code = readKiviCode(cache.valueCodes, slot * groupBytes, bits, c % KIVI_GROUP_SIZE);
          value[out + u * headDim + c] = code * cache.valueScales[slot] + cache.valueMins[slot];
        } else {
          value[out + u * headDim + c] =
            cache.valueResidual[residualBase + (u - cache.valueQuantizedLength) * headDim + c];
        }
      }
    }
  }
  return { key, value };
}
