/**
 * Fusing an orthogonal rotation into a linear layer (QuaRot/SpinQuant R1, R4; brief §7.2, row-vector
 * convention). If the layer's input becomes x R, then `W ← W R` keeps y = x Wᵀ; if its output must
 * become y R, then `W ← Rᵀ W` and `b ← b R`. In the ONNX layout B = Wᵀ ([in, out]) these read
 * `B ← Rᵀ B` and `B ← B R`.
 */
import { QuantError } from '../errors';
import { multiply, multiplyTransposeA } from '../internal/dense';
import { assertMatrix, assertSquare } from '../internal/validate';
import type { FloatArray, Matrix, WeightLayout } from '../types';

export interface RotateLinearOptions {
  /** `'out-in'` (PyTorch [out, in]) or `'in-out'` (ONNX MatMul B [in, out]). @defaultValue 'out-in' */
  layout?: WeightLayout;
}

function like<T extends FloatArray>(data: T, values: Float64Array): T {
  return (data instanceof Float32Array ? Float32Array.from(values) : values) as T;
}

function mismatch(argument: string, got: number, expected: number): QuantError {
  return new QuantError(
    'QUANT_SHAPE_MISMATCH',
    `${argument}: rotation of size ${expected} does not fit ${got}`,
    {
      details: { argument, got, expected },
    },
  );
}

/** Input side: the layer will see x R instead of x. Returns W R (`[out, in]`) or Rᵀ B (`[in, out]`). */
export function rotateLinearInput<T extends FloatArray>(
  weight: Matrix<T>,
  rotation: Matrix,
  options: RotateLinearOptions = {},
): Matrix<T> {
  assertMatrix(weight, 'weight');
  assertSquare(rotation, 'rotation');
  const n = rotation.rows;
  const { rows, cols, data } = weight;
  if ((options.layout ?? 'out-in') === 'out-in') {
    if (cols !== n) throw mismatch('weight', cols, n);
    return { rows, cols, data: like(data, multiply(data, rotation.data, rows, n, n)) };
  }
  if (rows !== n) throw mismatch('weight', rows, n);
  return { rows, cols, data: like(data, multiplyTransposeA(rotation.data, data, n, n, cols)) };
}

/**
 * Output side: the layer must produce y R instead of y. Returns Rᵀ W (`[out, in]`) or B R
 * (`[in, out]`), and the rotated bias b R when a bias is given.
 */
export function rotateLinearOutput<T extends FloatArray>(
  weight: Matrix<T>,
  rotation: Matrix,
  options: RotateLinearOptions & { bias?: FloatArray } = {},
): { weight: Matrix<T>; bias: Float64Array | undefined } {
  assertMatrix(weight, 'weight');
  assertSquare(rotation, 'rotation');
  const n = rotation.rows;
  const { rows, cols, data } = weight;
  let rotated: Matrix<T>;
  if ((options.layout ?? 'out-in') === 'out-in') {
    if (rows !== n) throw mismatch('weight', rows, n);
    rotated = { rows, cols, data: like(data, multiplyTransposeA(rotation.data, data, n, n, cols)) };
  } else {
    if (cols !== n) throw mismatch('weight', cols, n);
    rotated = { rows, cols, data: like(data, multiply(data, rotation.data, rows, n, n)) };
  }
  let bias: Float64Array | undefined;
  if (options.bias !== undefined) {
    if (options.bias.length !== n) throw mismatch('bias', options.bias.length, n);
    bias = multiply(options.bias, rotation.data, 1, n, n);
  }
  return { weight: rotated, bias };
}

/** Token embedding table [vocab, d]: its rows are residual vectors, so E ← E R1 (brief §7.2). */
export function rotateEmbedding<T extends FloatArray>(embedding: Matrix<T>, rotation: Matrix): Matrix<T> {
  return rotateLinearInput(embedding, rotation, { layout: 'out-in' });
}
