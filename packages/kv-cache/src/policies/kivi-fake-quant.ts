import { KIVI_GROUP_SIZE, type KiviBits, quantizeKiviGroup, readKiviCode } from '@x/kernels-wasm';

const scratch = new Uint8Array(4 * 8);

/**
 * Quantize-dequantize 32 values in place at `bits` with KIVI's asymmetric uniform quantizer (arXiv 2402.02750,
 * kv-cache brief §2.1), through @x/kernels-wasm's own packer so the numbers match the kernel's: element `t` sits at
 * `data[offset + t * stride]`.
 *
 * Used for KVTuner's mixed pairs: a `bits`-bit group re-quantized in a wider KIVI container (`wide` bits over the
 * same min/max) lands exactly on the container's grid, because (2^wide − 1) / (2^bits − 1) is an integer for
 * bits, wide ∈ {2, 4, 8} — so the container reproduces the `bits`-bit values (up to fp32 rounding).
 */
export function fakeQuantizeKiviGroup(
  data: Float32Array,
  offset: number,
  stride: number,
  bits: KiviBits,
): void {
  const [scale, min] = quantizeKiviGroup((t) => data[offset + t * stride], bits, scratch, 0);
  for (let t = 0; t < KIVI_GROUP_SIZE; t++) {
    data[offset + t * stride] = readKiviCode(scratch, 0, bits, t) * scale + min;
  }
}

/**
 * Fake-quantizes keys per channel over groups of 32 tokens: rows `[from, from + 32·groups)` of each head of a
 * `[heads, rowsPerHead, headDim]` array (head stride `rowsPerHead · headDim`).
 */
export function fakeQuantizeKeyRows(
  key: Float32Array,
  heads: number,
  rowsPerHead: number,
  headDim: number,
  from: number,
  groups: number,
  bits: KiviBits,
): void {
  for (let g = 0; g < heads; g++) {
    for (let group = 0; group < groups; group++) {
      const base = (g * rowsPerHead + from + group * KIVI_GROUP_SIZE) * headDim;
      for (let c = 0; c < headDim; c++) fakeQuantizeKiviGroup(key, base + c, headDim, bits);
    }
  }
}

/** Fake-quantizes values per token over groups of 32 channels: rows `[from, from + count)` of each head. */
export function fakeQuantizeValueRows(
  value: Float32Array,
  heads: number,
  rowsPerHead: number,
  headDim: number,
  from: number,
  count: number,
  bits: KiviBits,
): void {
  for (let g = 0; g < heads; g++) {
    for (let u = from; u < from + count; u++) {
      const base = (g * rowsPerHead + u) * headDim;
      for (let c = 0; c < headDim; c += KIVI_GROUP_SIZE) fakeQuantizeKiviGroup(value, base + c, 1, bits);
    }
  }
}
