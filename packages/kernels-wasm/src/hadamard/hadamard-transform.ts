/**
 * Normalized Walsh-Hadamard transform of each row of x (length n = K * 2^m, K from
 * `hadamardFactor`): y = (H_K (x) H_{2^m}) x / sqrt(n), orthonormal and, for K = 1, self-inverse.
 * Same ordering as `hadamardMatrix(n)` (H_K outer), so `y = hadamardMatrix(n) x / sqrt(n)`.
 */
import { KernelError } from '../errors';
import {
  checkDimension,
  checkInput,
  finishOutput,
  isKernelBuffer,
  type KernelInput,
  stageInput,
} from '../internal/io';
import type { Kernels } from '../load';
import type { KernelBuffer } from '../runtime/memory';
import { hadamardFactor, hadamardFactorMatrix, hadamardOrders } from './hadamard-matrix';

export interface HadamardTransformOptions {
  /** Row length: K * 2^m with K in {1, 12, 20, 28, 36, 40, 44, 52, 60, 76, 108, 140, 156, 172}. */
  n: number;
  /**
   * Number of rows of x.
   * @defaultValue 1
   */
  rows?: number;
  /** Where to write y (length >= rows * n). Passing x's own KernelBuffer transforms in place. */
  out?: KernelInput<'float32'>;
}

const factorMatrices = new WeakMap<Kernels, Map<number, KernelBuffer<'float32'>>>();

function factorBuffer(kernels: Kernels, k: number): KernelBuffer<'float32'> {
  let perInstance = factorMatrices.get(kernels);
  if (perInstance === undefined) {
    perInstance = new Map();
    factorMatrices.set(kernels, perInstance);
  }
  let buffer = perInstance.get(k);
  if (buffer === undefined) {
    buffer = kernels.alloc('float32', k * k);
    buffer.view().set(hadamardFactorMatrix(k));
    perInstance.set(k, buffer);
  }
  return buffer;
}

export function hadamardTransform(
  kernels: Kernels,
  x: KernelInput<'float32'>,
  options: HadamardTransformOptions,
): Float32Array {
  const name = 'hadamardTransform';
  const n = checkDimension(name, 'n', options.n);
  const rows = checkDimension(name, 'rows', options.rows ?? 1);
  const factor = hadamardFactor(n);
  if (factor === null) {
    throw new KernelError(
      'KERNEL_UNSUPPORTED_SIZE',
      `${name}: n=${n} is not K * 2^m with K in {1, ${hadamardOrders.join(', ')}}`,
      {
        details: { kernel: name, argument: 'n', n, supported: hadamardOrders },
      },
    );
  }
  const { k, powerOfTwo } = factor;
  checkInput(name, 'x', 'float32', x, rows * n, kernels);
  const out = options.out;
  if (out !== undefined) checkInput(name, 'out', 'float32', out, rows * n, kernels);
  const hk = k > 1 ? factorBuffer(kernels, k).pointer : 0;
  const inPlace = out !== undefined && isKernelBuffer(out);
  kernels.scratch.begin((inPlace ? 0 : rows * n * 4) + n * 4 + 128);
  let target: number;
  if (inPlace) {
    target = out.pointer;
    if (!(isKernelBuffer(x) && x.pointer === out.pointer)) {
      const source = isKernelBuffer(x) ? x.view() : x;
      out.view().set(source.subarray(0, rows * n));
    }
  } else {
    target = stageInput(kernels, 'float32', isKernelBuffer(x) ? x.view() : x, rows * n);
  }
  const scratch = kernels.scratch.take(n * 4);
  kernels.kernel('xk_f32_hadamard_wasmsimd')(rows, k, powerOfTwo, target, n, hk, 1 / Math.sqrt(n), scratch);
  return finishOutput(kernels, 'float32', out, target, rows * n);
}
