import { describe, expect, it } from 'vitest';
import { isQuantError } from '../errors';
import { caught, randomMatrix } from '../internal/test-helpers';
import { dequantizeWeight } from './dequantize-weight';
import { dequantizeMatMulNBits, packMatMulNBits, unpackMatMulNBits } from './matmul-nbits';
import { quantizeRtn } from './rtn';

describe('packMatMulNBits', () => {
  it('packs 4-bit codes low nibble first into [N, k_blocks, blob] and omits default zero points', () => {
    const k = 32;
    const codes = Uint8Array.from({ length: k }, (_, i) => i % 16);
    const weight = {
      rows: 1,
      cols: k,
      bits: 4,
      groupSize: 16,
      symmetric: true,
      codes,
      scales: Float32Array.of(0.5, 0.25),
      zeroPoints: Uint8Array.of(8, 8),
    };
    const packed = packMatMulNBits(weight);
    expect([packed.blockSize, packed.kBlocks, packed.blobSize]).toEqual([16, 2, 8]);
    expect(packed.b[0]).toBe(0 | (1 << 4));
    expect(packed.b[1]).toBe(2 | (3 << 4));
    expect(packed.b[8]).toBe(0 | (1 << 4)); // second block restarts at code 0
    expect(packed.zeroPoints).toBeUndefined();
    expect(Array.from(packed.scales)).toEqual([0.5, 0.25]);
  });

  it('packs asymmetric zero points per row across blocks, low bits first', () => {
    const weight = {
      rows: 2,
      cols: 48,
      bits: 4,
      groupSize: 16,
      symmetric: false,
      codes: new Uint8Array(96),
      scales: new Float32Array(6).fill(1),
      zeroPoints: Uint8Array.of(1, 2, 3, 4, 5, 6),
    };
    const packed = packMatMulNBits(weight);
    // ceil(3 blocks · 4 bits / 8) = 2 bytes per row
    expect(Array.from(packed.zeroPoints!)).toEqual([1 | (2 << 4), 3, 4 | (5 << 4), 6]);
  });

  it.each([
    [4, true, 0, 32],
    [4, false, 32, undefined],
    [8, true, 16, undefined],
    [8, false, 0, 16],
    [2, false, 0, 16],
    [2, true, 64, undefined],
  ])(
    'round-trips RTN weights exactly (bits %i, sym %s, group %i, block %s)',
    (bits, symmetric, groupSize, block) => {
      const w = randomMatrix(5, 128, bits * 7 + groupSize);
      const { quantized } = quantizeRtn(w, { bits, symmetric, groupSize });
      const packed = packMatMulNBits(quantized, block === undefined ? {} : { blockSize: block });
      expect(packed.b.length).toBe(5 * packed.kBlocks * packed.blobSize);
      expect(unpackMatMulNBits(packed).codes).toEqual(quantized.codes);
      expect(dequantizeMatMulNBits(packed).data).toEqual(dequantizeWeight(quantized).data);
    },
  );

  it('pads a per-channel tail block with the zero point (dequantizes to the same weights)', () => {
    const w = randomMatrix(3, 40, 9);
    const { quantized } = quantizeRtn(w, { bits: 4, symmetric: false });
    const packed = packMatMulNBits(quantized, { blockSize: 16 });
    expect(packed.kBlocks).toBe(3);
    expect(dequantizeMatMulNBits(packed).data).toEqual(dequantizeWeight(quantized).data);
  });

  it('rejects 3-bit weights, bad block sizes and a block that is not the group', () => {
    const w = randomMatrix(2, 64, 1);
    const three = caught(() => packMatMulNBits(quantizeRtn(w, { bits: 3 }).quantized));
    expect(isQuantError(three) && three.code).toBe('QUANT_UNSUPPORTED_BITS');
    const small = caught(() => packMatMulNBits(quantizeRtn(w).quantized, { blockSize: 8 }));
    expect(isQuantError(small) && small.code).toBe('QUANT_INVALID_GROUP_SIZE');
    const other = caught(() =>
      packMatMulNBits(quantizeRtn(w, { groupSize: 32 }).quantized, { blockSize: 16 }),
    );
    expect(isQuantError(other) && other.code).toBe('QUANT_INVALID_GROUP_SIZE');
  });
});
