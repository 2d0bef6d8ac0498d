/** Plain float storage used by every numeric core in this package. */
export type FloatArray = Float32Array | Float64Array;

/**
 * A dense row-major matrix. `data[r * cols + c]` is entry (r, c).
 *
 * Weight convention (prune-quant brief §0): a linear layer's weight is `[out, in]` (PyTorch), so
 * `y = x Wᵀ` for a row vector `x`. Functions that also accept the ONNX MatMul layout `[in, out]`
 * say so with a `layout` option.
 */
export interface Matrix<T extends FloatArray = FloatArray> {
  readonly rows: number;
  readonly cols: number;
  readonly data: T;
}

/** Which way a linear weight is stored: `[out, in]` (PyTorch) or `[in, out]` (ONNX MatMul B). */
export type WeightLayout = 'out-in' | 'in-out';

export type { ProgressCallback, ProgressEvent } from '@x/core';
