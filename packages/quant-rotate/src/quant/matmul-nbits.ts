/**
 * Packing for ONNX Runtime's `com.microsoft.MatMulNBits` (ORT `docs/ContribOperators.md`; brief §9.1):
 *
 * - `B`: uint8 [N, k_blocks, blob_size], k_blocks = ceil(K / block_size), blob_size = block_size·bits/8.
 *   Row n is output channel n (the `[out, in]` weight, i.e. an ONNX MatMul `[K, N]` initializer
 *   transposed); codes are bit-packed along K inside each block, low bits first
 *   (4-bit: byte = q[2i] | q[2i+1] << 4).
 * - `scales`: float32 [N · k_blocks].
 * - `zero_points`: uint8 [N, ceil(k_blocks·bits/8)], packed the same way across blocks; omitted when
 *   every zero point is the default 2^{bits−1} (symmetric weights).
 * - Dequantization: w = (q − zp)·scale; Y = A Wᵀ.
 *
 * A per-channel weight repeats its row's scale and zero point in every block (exact). A tail block
 * past K is padded with the zero-point code, so it dequantizes to 0.
 */
import { QuantError } from '../errors';
import { assertBits } from '../internal/validate';
import type { Matrix } from '../types';
import type { QuantizedWeight } from './quantized-weight';

/** Bit widths MatMulNBits stores. */
export const matMulNBitsBits: readonly number[] = [2, 4, 8];

export interface MatMulNBitsWeights {
  /** Output channels N. */
  n: number;
  /** Input channels K. */
  k: number;
  bits: number;
  blockSize: number;
  kBlocks: number;
  blobSize: number;
  /** B, uint8 [N · kBlocks · blobSize]. */
  b: Uint8Array;
  /** float32 [N · kBlocks]. */
  scales: Float32Array;
  /** Packed uint8 [N · ceil(kBlocks·bits/8)], or undefined when all equal 2^{bits−1}. */
  zeroPoints: Uint8Array | undefined;
}

export interface PackMatMulNBitsOptions {
  /**
   * Block size along K (power of two, >= 16). Grouped weights must use their group size (the default
   * for them); per-channel weights default to 128, or the largest power of two >= 16 dividing K.
   */
  blockSize?: number;
}

function isPowerOfTwo(v: number): boolean {
  return Number.isInteger(v) && v >= 1 && (v & (v - 1)) === 0;
}

function defaultBlockSize(weight: QuantizedWeight): number {
  if (weight.groupSize !== weight.cols) return weight.groupSize;
  for (let b = 128; b >= 16; b /= 2) if (weight.cols % b === 0) return b;
  return 128;
}

/** Packs a `QuantizedWeight` ([out, in]) into MatMulNBits' B / scales / zero_points. */
export function packMatMulNBits(
  weight: QuantizedWeight,
  options: PackMatMulNBitsOptions = {},
): MatMulNBitsWeights {
  const { rows: n, cols: k, bits, groupSize, codes, scales: groupScales, zeroPoints: groupZeros } = weight;
  assertBits(bits, matMulNBitsBits, 'MatMulNBits');
  const blockSize = options.blockSize ?? defaultBlockSize(weight);
  if (!isPowerOfTwo(blockSize) || blockSize < 16) {
    throw new QuantError(
      'QUANT_INVALID_GROUP_SIZE',
      `MatMulNBits block_size must be a power of two >= 16, got ${blockSize}`,
      {
        details: { option: 'blockSize', blockSize },
      },
    );
  }
  const perChannel = groupSize === k;
  if (!perChannel && blockSize !== groupSize) {
    throw new QuantError(
      'QUANT_INVALID_GROUP_SIZE',
      `a weight quantized in groups of ${groupSize} needs MatMulNBits block_size ${groupSize}, got ${blockSize}`,
      { details: { option: 'blockSize', blockSize, groupSize } },
    );
  }
  const groups = k / groupSize;
  const kBlocks = Math.ceil(k / blockSize);
  const blobSize = (blockSize * bits) / 8;
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const b = new Uint8Array(n * kBlocks * blobSize);
  const scales = new Float32Array(n * kBlocks);
  const zeroStride = Math.ceil((kBlocks * bits) / 8);
  const zeroPoints = new Uint8Array(n * zeroStride);
  const defaultZero = 2 ** (bits - 1);
  let allDefault = true;
  for (let r = 0; r < n; r++) {
    for (let blk = 0; blk < kBlocks; blk++) {
      const g = perChannel ? 0 : blk;
      const scale = groupScales[r * groups + g];
      const zero = groupZeros[r * groups + g];
      scales[r * kBlocks + blk] = scale;
      if (zero !== defaultZero) allDefault = false;
      const zbit = blk * bits;
      zeroPoints[r * zeroStride + (zbit >> 3)] |= (zero & mask) << (zbit & 7);
      const blob = (r * kBlocks + blk) * blobSize;
      for (let i = 0; i < blockSize; i++) {
        const c = blk * blockSize + i;
        const code = c < k ? codes[r * k + c] : zero;
        b[blob + Math.floor(i / perByte)] |= (code & mask) << ((i % perByte) * bits);
      }
    }
  }
  return {
    n,
    k,
    bits,
    blockSize,
    kBlocks,
    blobSize,
    b,
    scales,
    zeroPoints: allDefault ? undefined : zeroPoints,
  };
}

/** The codes [N, K] and per-block zero points [N, kBlocks] stored in packed MatMulNBits weights. */
export function unpackMatMulNBits(packed: MatMulNBitsWeights): { codes: Uint8Array; zeroPoints: Uint8Array } {
  const { n, k, bits, blockSize, kBlocks, blobSize, b } = packed;
  assertBits(bits, matMulNBitsBits, 'MatMulNBits');
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const codes = new Uint8Array(n * k);
  const zeroPoints = new Uint8Array(n * kBlocks);
  const zeroStride = Math.ceil((kBlocks * bits) / 8);
  for (let r = 0; r < n; r++) {
    for (let blk = 0; blk < kBlocks; blk++) {
      const zbit = blk * bits;
      zeroPoints[r * kBlocks + blk] =
        packed.zeroPoints === undefined
          ? 2 ** (bits - 1)
          : (packed.zeroPoints[r * zeroStride + (zbit >> 3)] >> (zbit & 7)) & mask;
      const blob = (r * kBlocks + blk) * blobSize;
      for (let i = 0; i < blockSize; i++) {
        const c = blk * blockSize + i;
        if (c >= k) break;
        codes[r * k + c] = (b[blob + Math.floor(i / perByte)] >> ((i % perByte) * bits)) & mask;
      }
    }
  }
  return { codes, zeroPoints };
}

/** W [N, K] = (q − zp)·scale in float32: what MatMulNBits multiplies by. */
export function dequantizeMatMulNBits(packed: MatMulNBitsWeights): Matrix<Float32Array> {
  const { codes, zeroPoints } = unpackMatMulNBits(packed);
  const { n, k, blockSize, kBlocks, scales } = packed;
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      const blk = r * kBlocks + Math.floor(c / blockSize);
      out[r * k + c] = Math.fround((codes[r * k + c] - zeroPoints[blk]) * scales[blk]);
    }
  }
  return { rows: n, cols: k, data: out };
}
