/**
 * The packed KIVI KV cache of one layer (Liu et al., "KIVI: A Tuning-Free Asymmetric 2bit Quantization
 * for KV Cache", arXiv 2402.02750; the brief's section 2.1 of
 * shared/reference/kv-cache-spec-decode.md), as the decode attention kernel reads it and the
 * kv-cache package writes it.
 *
 * Quantization is asymmetric and uniform with unsigned codes `q in [0, 2^bits - 1]`:
 * `mn = min(group)`, `s = (max(group) - mn) / (2^bits - 1)`, `q = round(clamp((x - mn) / s, 0, 2^bits - 1))`
 * (`q = 0` when `s = 0`), and `x ~= q * s + mn`.
 * - Keys are quantized **per channel**: for each (KV head, channel), a group is 32 consecutive tokens.
 * - Values are quantized **per token**: for each (KV head, token), a group is 32 consecutive channels.
 * - The most recent tokens stay in fp32 residual windows (keys and values have separate ones).
 *
 * A group of 32 codes takes `4 * bits` bytes: code `t` lives in byte `t % (4 * bits)` at bit shift
 * `bits * floor(t / (4 * bits))` (4-bit: byte `t` low nibble = code `t`, high nibble = code `t + 16`).
 * Scales and mins are fp32 (KIVI keeps fp16; fp32 keeps the wasm path simple, +1 bit per element).
 *
 * Per KV head `g` (strides fixed by `capacity` and `residualCapacity`, so the cache grows in place):
 * - `keyCodes`    `[numKvHeads, capacity / 32, headDim, 4 * bits]` bytes
 * - `keyScales`, `keyMins` `[numKvHeads, capacity / 32, headDim]`
 * - `keyResidual` `[numKvHeads, residualCapacity, headDim]`
 * - `valueCodes`  `[numKvHeads, capacity, headDim / 32, 4 * bits]` bytes
 * - `valueScales`, `valueMins` `[numKvHeads, capacity, headDim / 32]`
 * - `valueResidual` `[numKvHeads, residualCapacity, headDim]`
 *
 * Token `u` of the cache (all heads share the lengths) reads its key from the quantized part when
 * `u < keyQuantizedLength` (a multiple of 32), else `keyResidual[g][u - keyQuantizedLength]`; its value
 * from the quantized part when `u < valueQuantizedLength`, else `valueResidual[g][u - valueQuantizedLength]`.
 * `length = keyQuantizedLength + keyResidualLength = valueQuantizedLength + valueResidualLength`.
 */
import { checkArray, checkCount } from './attention-validate';
import { KernelError } from './errors';

/** Bits per code the KIVI kernels support. */
export type KiviBits = 2 | 4 | 8;

/** The group size of KIVI, along tokens for keys and along channels for values. */
export const KIVI_GROUP_SIZE = 32;

export interface KiviCache {
  numKvHeads: number;
  headDim: number;
  bits: KiviBits;
  /** Most tokens the quantized parts hold (a multiple of 32). */
  capacity: number;
  /** Most tokens each residual window holds. */
  residualCapacity: number;
  /** Tokens held: `keyQuantizedLength + keyResidualLength`. */
  length: number;
  keyQuantizedLength: number;
  keyResidualLength: number;
  valueQuantizedLength: number;
  valueResidualLength: number;
  keyCodes: Uint8Array;
  keyScales: Float32Array;
  keyMins: Float32Array;
  keyResidual: Float32Array;
  valueCodes: Uint8Array;
  valueScales: Float32Array;
  valueMins: Float32Array;
  valueResidual: Float32Array;
}

/** Queries of a decode step over a KIVI cache. */
export interface KiviAttentionInput<T = Float32Array> {
  /** `[numHeads, queryLength, headDim]`; GQA over the cache's KV heads. */
  query: T;
  numHeads: number;
  queryLength: number;
  cache: KiviCache;
}

export interface CreateKiviCacheOptions {
  numKvHeads: number;
  /** A multiple of 32 (values are grouped along channels). */
  headDim: number;
  bits: KiviBits;
  /** Tokens the quantized parts can hold; rounded up to a multiple of 32. */
  capacity: number;
  /**
   * Tokens each fp32 window can hold. KIVI's residual length R needs R + 1 (the newest token joins
   * the window before the key flush / value overflow that follow each decode step).
   */
  residualCapacity: number;
}

/** An empty cache with room for `capacity` quantized and `residualCapacity` fp32 tokens per head. */
export function createKiviCache(options: CreateKiviCacheOptions): KiviCache {
  const kernel = 'createKiviCache';
  const { numKvHeads, headDim, bits, residualCapacity } = options;
  checkCount(kernel, 'numKvHeads', numKvHeads);
  checkCount(kernel, 'headDim', headDim);
  checkCount(kernel, 'capacity', options.capacity, true);
  checkCount(kernel, 'residualCapacity', residualCapacity, true);
  if (headDim % KIVI_GROUP_SIZE !== 0) {
    throw new KernelError(
      'KERNEL_SHAPE_MISMATCH',
      `${kernel}: headDim: ${headDim} is not a multiple of ${KIVI_GROUP_SIZE}`,
      {
        details: { kernel, argument: 'headDim', headDim },
      },
    );
  }
  if (bits !== 2 && bits !== 4 && bits !== 8) {
    throw new KernelError('KERNEL_INVALID_ARGUMENT', `${kernel}: bits: must be 2, 4 or 8, got ${bits}`, {
      details: { kernel, argument: 'bits', bits },
    });
  }
  const capacity = Math.ceil(options.capacity / KIVI_GROUP_SIZE) * KIVI_GROUP_SIZE;
  const groupBytes = 4 * bits;
  const keyGroups = numKvHeads * (capacity / KIVI_GROUP_SIZE) * headDim;
  const valueGroups = numKvHeads * capacity * (headDim / KIVI_GROUP_SIZE);
  return {
    numKvHeads,
    headDim,
    bits,
    capacity,
    residualCapacity,
    length: 0,
    keyQuantizedLength: 0,
    keyResidualLength: 0,
    valueQuantizedLength: 0,
    valueResidualLength: 0,
    keyCodes: new Uint8Array(keyGroups * groupBytes),
    keyScales: new Float32Array(keyGroups),
    keyMins: new Float32Array(keyGroups),
    keyResidual: new Float32Array(numKvHeads * residualCapacity * headDim),
    valueCodes: new Uint8Array(valueGroups * groupBytes),
    valueScales: new Float32Array(valueGroups),
    valueMins: new Float32Array(valueGroups),
    valueResidual: new Float32Array(numKvHeads * residualCapacity * headDim),
  };
}

/** Bytes the cache's arrays hold (codes, scales, mins, residual windows), for memory accounting. */
export function kiviCacheBytes(cache: KiviCache): number {
  return (
    cache.keyCodes.byteLength +
    cache.keyScales.byteLength +
    cache.keyMins.byteLength +
    cache.keyResidual.byteLength +
    cache.valueCodes.byteLength +
    cache.valueScales.byteLength +
    cache.valueMins.byteLength +
    cache.valueResidual.byteLength
  );
}

/** Checks a cache's sizes and lengths against its layout. */
export function validateKiviCache(kernel: string, cache: KiviCache): void {
  const bad = (
    argument: string,
    message: string,
    code: 'KERNEL_SHAPE_MISMATCH' | 'KERNEL_BUFFER_TOO_SMALL' = 'KERNEL_SHAPE_MISMATCH',
  ) => {
    throw new KernelError(code, `${kernel}: cache.${argument}: ${message}`, {
      details: { kernel, argument: `cache.${argument}` },
    });
  };
  const { numKvHeads, headDim, bits, capacity, residualCapacity } = cache;
  checkCount(kernel, 'cache.numKvHeads', numKvHeads);
  checkCount(kernel, 'cache.headDim', headDim);
  if (headDim % KIVI_GROUP_SIZE !== 0) bad('headDim', `${headDim} is not a multiple of 32`);
  if (bits !== 2 && bits !== 4 && bits !== 8) bad('bits', `must be 2, 4 or 8, got ${bits}`);
  if (!Number.isInteger(capacity) || capacity < 0 || capacity % KIVI_GROUP_SIZE !== 0) {
    bad('capacity', `must be a multiple of 32, got ${capacity}`);
  }
  checkCount(kernel, 'cache.residualCapacity', residualCapacity, true);
  const lengths = [
    'keyQuantizedLength',
    'keyResidualLength',
    'valueQuantizedLength',
    'valueResidualLength',
  ] as const;
  for (const name of lengths) checkCount(kernel, `cache.${name}`, cache[name], true);
  if (cache.keyQuantizedLength % KIVI_GROUP_SIZE !== 0) bad('keyQuantizedLength', 'is not a multiple of 32');
  if (cache.keyQuantizedLength > capacity) bad('keyQuantizedLength', `exceeds capacity ${capacity}`);
  if (cache.valueQuantizedLength > capacity) bad('valueQuantizedLength', `exceeds capacity ${capacity}`);
  if (cache.keyResidualLength > residualCapacity)
    bad('keyResidualLength', `exceeds residualCapacity ${residualCapacity}`);
  if (cache.valueResidualLength > residualCapacity)
    bad('valueResidualLength', `exceeds residualCapacity ${residualCapacity}`);
  if (
    cache.keyQuantizedLength + cache.keyResidualLength !== cache.length ||
    cache.valueQuantizedLength + cache.valueResidualLength !== cache.length
  ) {
    bad('length', 'differs from the quantized plus residual lengths of keys or values');
  }
  const groupBytes = 4 * bits;
  const keyGroups = numKvHeads * (capacity / KIVI_GROUP_SIZE) * headDim;
  const valueGroups = numKvHeads * capacity * (headDim / KIVI_GROUP_SIZE);
  const sizes: Array<[keyof KiviCache, number, 'Uint8Array' | 'Float32Array']> = [
    ['keyCodes', keyGroups * groupBytes, 'Uint8Array'],
    ['keyScales', keyGroups, 'Float32Array'],
    ['keyMins', keyGroups, 'Float32Array'],
    ['keyResidual', numKvHeads * residualCapacity * headDim, 'Float32Array'],
    ['valueCodes', valueGroups * groupBytes, 'Uint8Array'],
    ['valueScales', valueGroups, 'Float32Array'],
    ['valueMins', valueGroups, 'Float32Array'],
    ['valueResidual', numKvHeads * residualCapacity * headDim, 'Float32Array'],
  ];
  for (const [name, size, kind] of sizes) checkArray(kernel, `cache.${name}`, cache[name], kind, size);
}
