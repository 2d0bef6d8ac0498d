import { KIVI_GROUP_SIZE, type KiviCache } from './attention-kivi-cache';

/**
 * Decodes one group of 32 codes (@x/kernels-wasm's `KiviCache` packing: code t in byte t mod 4·bits at shift
 * bits·floor(t / 4·bits)) as `code · scale + min` into `out[base + t]`. Byte-major loop order, no division per
 * element.
 */
function decodeGroup(
  codes: Uint8Array,
  offset: number,
  bits: number,
  scale: number,
  min: number,
  out: Float32Array,
  base: number,
): void {
  const groupBytes = 4 * bits;
  const mask = (1 << bits) - 1;
  const perByte = KIVI_GROUP_SIZE / groupBytes;
  for (let lane = 0; lane < perByte; lane++) {
    const shift = bits * lane;
    const first = lane * groupBytes;
    for (let j = 0; j < groupBytes; j++) {
      out[base + first + j] = ((codes[offset + j] >> shift) & mask) * scale + min;
    }
  }
}

/**
 * The fp32 keys and values `[numKvHeads, length, headDim]` a KIVI cache stands for, written into `key` / `value`:
 * the same numbers as the reference twin `dequantizeKiviCache` (x̂ = q·s + mn, KIVI arXiv 2402.02750; tested
 * bit-exact against it), in group order so it costs about one pass over the output (for callers that dequantize a
 * whole cache every step, e.g. @x/kv-cache's stock mode).
 */
export function unpackKiviCache(cache: KiviCache, key: Float32Array, value: Float32Array): void {
  const { numKvHeads, headDim, bits, capacity, residualCapacity, length } = cache;
  const groupBytes = 4 * bits;
  const valueGroups = headDim / KIVI_GROUP_SIZE;
  for (let g = 0; g < numKvHeads; g++) {
    const out = g * length * headDim;
    const residual = g * residualCapacity * headDim;
    // Keys: one group per (block of 32 tokens, channel); walk tokens outside and channels inside so the writes
    // run along each output row.
    const mask = (1 << bits) - 1;
    const perByte = KIVI_GROUP_SIZE / groupBytes;
    for (let block = 0; block < cache.keyQuantizedLength / KIVI_GROUP_SIZE; block++) {
      const slots = (g * (capacity / KIVI_GROUP_SIZE) + block) * headDim;
      for (let lane = 0; lane < perByte; lane++) {
        const shift = bits * lane;
        for (let j = 0; j < groupBytes; j++) {
          const row = out + (block * KIVI_GROUP_SIZE + lane * groupBytes + j) * headDim;
          for (let c = 0; c < headDim; c++) {
            const slot = slots + c;
            key[row + c] =
              ((cache.keyCodes[slot * groupBytes + j] >> shift) & mask) * cache.keyScales[slot] +
              cache.keyMins[slot];
          }
        }
      }
    }
    key.set(
      cache.keyResidual.subarray(residual, residual + cache.keyResidualLength * headDim),
      out + cache.keyQuantizedLength * headDim,
    );
    for (let u = 0; u < cache.valueQuantizedLength; u++) {
      for (let group = 0; group < valueGroups; group++) {
        const slot = (g * capacity + u) * valueGroups + group;
        decodeGroup(
          cache.valueCodes,
          slot * groupBytes,
          bits,
          cache.valueScales[slot],
          cache.valueMins[slot],
          value,
          out + u * headDim + group * KIVI_GROUP_SIZE,
        );
      }
    }
    value.set(
      cache.valueResidual.subarray(residual, residual + cache.valueResidualLength * headDim),
      out + cache.valueQuantizedLength * headDim,
    );
  }
}
