/**
 * Copies MatMulNBits weights (ORT's layout, unchanged) into the kernels' memory once, for
 * `matMulNBits` to read on every call. Layout (com.microsoft MatMulNBits, bits 4 or 8):
 * B uint8 [n, kBlocks, blockSize * bits / 8] (4-bit: low nibble first), scales float [n * kBlocks],
 * optional zero points uint8 packed [n, ceil(kBlocks * bits / 8)]; default zero point 2^(bits-1).
 * B and scales are copied as they are; zero points are unpacked to one byte per block.
 */
import { KernelError } from '../errors';
import { checkDimension, checkInput } from '../internal/io';
import type { Kernels } from '../load';
import type { KernelBuffer } from '../runtime/memory';

export interface MatMulNBitsWeights {
  /** Quantized weights, uint8 [n, kBlocks, blob]. */
  b: Uint8Array;
  /** Per-block scales, float [n * kBlocks]. */
  scales: Float32Array;
  /** Packed uint8 zero points [n, ceil(kBlocks * bits / 8)]; omitted = 2^(bits-1). */
  zeroPoints?: Uint8Array;
  /** Input features K. */
  k: number;
  /** Output features N. */
  n: number;
  /** 4 or 8. */
  bits: 4 | 8;
  /** Power of two: 16..256 for 8-bit, 32..256 for 4-bit. */
  blockSize: number;
}

export interface LoadedMatMulNBits {
  readonly kind: 'matmul-nbits';
  readonly k: number;
  readonly n: number;
  readonly bits: 4 | 8;
  readonly blockSize: number;
  readonly kBlocks: number;
  readonly kernels: Kernels;
  readonly buffer: KernelBuffer<'uint8'>;
  readonly scalesBuffer: KernelBuffer<'float32'>;
  /** Zero points unpacked to one byte per block, uint8 [n * kBlocks]. */
  readonly zeroPointsBuffer: KernelBuffer<'uint8'> | undefined;
  dispose(): void;
}

export function loadMatMulNBits(kernels: Kernels, weights: MatMulNBitsWeights): LoadedMatMulNBits {
  const name = 'loadMatMulNBits';
  const k = checkDimension(name, 'k', weights.k);
  const n = checkDimension(name, 'n', weights.n);
  const { bits, blockSize } = weights;
  if (bits !== 4 && bits !== 8) {
    throw new KernelError('KERNEL_INVALID_ARGUMENT', `${name}: bits must be 4 or 8, got ${String(bits)}`, {
      details: { kernel: name, argument: 'bits', value: bits },
    });
  }
  const minimumBlock = bits === 4 ? 32 : 16;
  if (
    !Number.isInteger(blockSize) ||
    blockSize < minimumBlock ||
    blockSize > 256 ||
    (blockSize & (blockSize - 1)) !== 0
  ) {
    throw new KernelError(
      'KERNEL_INVALID_ARGUMENT',
      `${name}: blockSize must be a power of two in [${minimumBlock}, 256] for ${bits}-bit, got ${blockSize}`,
      {
        details: { kernel: name, argument: 'blockSize', value: blockSize },
      },
    );
  }
  const kBlocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  checkInput(name, 'b', 'uint8', weights.b, n * kBlocks * blob);
  checkInput(name, 'scales', 'float32', weights.scales, n * kBlocks);
  const zeroPointBytes = n * Math.ceil((kBlocks * bits) / 8);
  if (weights.zeroPoints !== undefined)
    checkInput(name, 'zeroPoints', 'uint8', weights.zeroPoints, zeroPointBytes);
  const buffer = kernels.alloc('uint8', n * kBlocks * blob);
  buffer.view().set(weights.b.subarray(0, n * kBlocks * blob));
  const scalesBuffer = kernels.alloc('float32', n * kBlocks);
  scalesBuffer.view().set(weights.scales.subarray(0, n * kBlocks));
  let zeroPointsBuffer: KernelBuffer<'uint8'> | undefined;
  if (weights.zeroPoints !== undefined) {
    // One byte per block (the kernel loads four blocks' zero points at once).
    zeroPointsBuffer = kernels.alloc('uint8', n * kBlocks);
    kernels.scratch.begin(zeroPointBytes + 64);
    const packed = kernels.scratch.take(zeroPointBytes);
    new Uint8Array(kernels.memory.memory.buffer, packed, zeroPointBytes).set(
      weights.zeroPoints.subarray(0, zeroPointBytes),
    );
    kernels.kernel('xk_qn_unpack_zero_points')(n, kBlocks, bits, packed, zeroPointsBuffer.pointer);
  }
  return {
    kind: 'matmul-nbits',
    k,
    n,
    bits,
    blockSize,
    kBlocks,
    kernels,
    buffer,
    scalesBuffer,
    zeroPointsBuffer,
    dispose() {
      buffer.free();
      scalesBuffer.free();
      zeroPointsBuffer?.free();
    },
  };
}
