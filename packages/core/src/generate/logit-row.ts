import { XError } from '../errors';
import { float16ToFloat32 } from '../tensor/float16';
import type { Tensor } from '../tensor/tensor';

/** Row `row` of `[1, rows, vocab]` (or `[rows, vocab]`) logits as float32 (float16 logits are converted). */
export function logitRow(logits: Tensor, row: number): Float32Array {
  const vocab = logits.dims[logits.dims.length - 1];
  const start = row * vocab;
  if (logits.dtype === 'float32') return (logits.data as Float32Array).subarray(start, start + vocab);
  if (logits.dtype === 'float16')
    return float16ToFloat32((logits.data as Uint16Array).subarray(start, start + vocab));
  throw new XError('X_EVAL', `logits have dtype ${logits.dtype}; expected float32 or float16`, {
    details: { output: 'logits', dtype: logits.dtype },
  });
}
