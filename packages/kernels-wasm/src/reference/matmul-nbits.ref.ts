/**
 * Reference twin of MatMulNBits (com.microsoft contrib op): dequant = (q - zp) * scale, read
 * straight from ORT's layout (B uint8 [n, kBlocks, blob], low nibble first for 4-bit; scales
 * [n * kBlocks]; zero points packed uint8, default 2^(bits-1)), then Y = A · W^T in float64.
 */
export interface MatMulNBitsRefWeights {
  b: Uint8Array;
  scales: Float32Array;
  zeroPoints?: Uint8Array;
  k: number;
  n: number;
  bits: 4 | 8;
  blockSize: number;
}

/** The dequantized weight W[n, k] (float64). */
export function dequantizeMatMulNBitsRef(weights: MatMulNBitsRefWeights): Float64Array {
  const { b, scales, zeroPoints, k, n, bits, blockSize } = weights;
  const kBlocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const zpStride = Math.ceil((kBlocks * bits) / 8);
  const w = new Float64Array(n * k);
  for (let j = 0; j < n; j++) {
    for (let index = 0; index < k; index++) {
      const block = Math.floor(index / blockSize);
      const within = index % blockSize;
      const byte = b[(j * kBlocks + block) * blob + (bits === 4 ? within >> 1 : within)];
      const q = bits === 4 ? (within & 1 ? byte >> 4 : byte & 0x0f) : byte;
      let zp = 2 ** (bits - 1);
      if (zeroPoints !== undefined) {
        const zpByte = zeroPoints[j * zpStride + (bits === 4 ? block >> 1 : block)];
        zp = bits === 4 ? (block & 1 ? zpByte >> 4 : zpByte & 0x0f) : zpByte;
      }
      w[j * k + index] = (q - zp) * scales[j * kBlocks + block];
    }
  }
  return w;
}

export function matMulNBitsRef(a: Float32Array, m: number, weights: MatMulNBitsRefWeights): Float32Array {
  const { k, n } = weights;
  const w = dequantizeMatMulNBitsRef(weights);
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * w[j * k + p];
      y[i * n + j] = sum;
    }
  }
  return y;
}
