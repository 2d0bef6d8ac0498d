/**
 * An integer weight as unsigned codes with per-(row, group) scale and zero point:
 *
 *   ŵ[r, c] = (codes[r, c] − zeroPoints[r, g]) · scales[r, g],   g = floor(c / groupSize)
 *
 * This is exactly MatMulNBits' dequantisation (brief §9.1), so packing is lossless. Symmetric
 * b-bit weights (QuaRot's `sym_quant`, v ∈ [−2^{b−1}, 2^{b−1}−1]) are stored as v + 2^{b−1} with zero
 * point 2^{b−1}. Scales are float32 because the ONNX initializer is float32 and the codes were
 * computed against that rounded scale.
 */
export interface QuantizedWeight {
  /** Output channels N (weight rows in the `[out, in]` layout). */
  rows: number;
  /** Input channels K (quantized along this axis). */
  cols: number;
  bits: number;
  /** Columns per group; `cols` when quantized per output channel. */
  groupSize: number;
  symmetric: boolean;
  /** [rows · cols] unsigned codes in [0, 2^bits − 1]. */
  codes: Uint8Array;
  /** [rows · cols / groupSize] float32 scales, row-major (row, group). */
  scales: Float32Array;
  /** [rows · cols / groupSize] zero points in [0, 2^bits − 1]. */
  zeroPoints: Uint8Array;
}
