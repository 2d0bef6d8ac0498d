/**
 * Reference twin of the normalized Walsh-Hadamard transform over rows: y = (H_K (x) H_p) x / sqrt(n)
 * with n = K * p (see hadamard/hadamard-matrix.ts for the ordering). Plain loops in float64:
 * FWHT of each length-p sub-row, then the K x K mix.
 */

import { KernelError } from '../errors';
import { hadamardFactor, hadamardFactorMatrix } from '../hadamard/hadamard-matrix';

export function hadamardTransformRef(x: Float32Array, n: number, rows: number): Float32Array {
  const factor = hadamardFactor(n);
  if (factor === null)
    throw new KernelError('KERNEL_UNSUPPORTED_SIZE', `hadamardTransformRef: unsupported n=${n}`);
  const { k, powerOfTwo: p } = factor;
  const hk = hadamardFactorMatrix(k);
  const out = new Float32Array(rows * n);
  const z = new Float64Array(n);
  for (let row = 0; row < rows; row++) {
    for (let i = 0; i < n; i++) z[i] = x[row * n + i];
    for (let c = 0; c < k; c++) {
      for (let h = 1; h < p; h *= 2) {
        for (let i = 0; i < p; i += 2 * h) {
          for (let j = i; j < i + h; j++) {
            const a = z[c * p + j];
            const b = z[c * p + j + h];
            z[c * p + j] = a + b;
            z[c * p + j + h] = a - b;
          }
        }
      }
    }
    const scale = 1 / Math.sqrt(n);
    for (let r = 0; r < k; r++) {
      for (let t = 0; t < p; t++) {
        let sum = 0;
        for (let c = 0; c < k; c++) sum += hk[r * k + c] * z[c * p + t];
        out[row * n + r * p + t] = sum * scale;
      }
    }
  }
  return out;
}
