/** Copies compressed N:M weights (and an optional bias) into the kernels' memory once. */
import { KernelError } from '../errors';
import { checkInput } from '../internal/io';
import type { Kernels } from '../load';
import type { KernelBuffer } from '../runtime/memory';
import { checkNmShape, type NmCompressedWeights } from './compress-nm-weights';

export interface LoadedNmSparse {
  readonly kind: 'nm-sparse';
  readonly rows: number;
  readonly columns: number;
  readonly kept: number;
  readonly group: number;
  readonly kernels: Kernels;
  readonly buffer: KernelBuffer<'float32'>;
  readonly indicesBuffer: KernelBuffer<'uint8'>;
  readonly biasBuffer: KernelBuffer<'float32'> | undefined;
  dispose(): void;
}

export function loadNmSparse(
  kernels: Kernels,
  weights: NmCompressedWeights,
  options: { bias?: Float32Array } = {},
): LoadedNmSparse {
  const name = 'loadNmSparse';
  const { rows, columns, kept, group } = checkNmShape(name, weights);
  const length = rows * (columns / group) * kept;
  checkInput(name, 'values', 'float32', weights.values, length);
  checkInput(name, 'indices', 'uint8', weights.indices, length);
  if (options.bias !== undefined) checkInput(name, 'bias', 'float32', options.bias, rows);
  for (let start = 0; start < length; start += kept) {
    let seen = 0n;
    for (let i = start; i < start + kept; i++) {
      const index = weights.indices[i];
      if (index >= group || (seen >> BigInt(index)) & 1n) {
        throw new KernelError(
          'KERNEL_INVALID_ARGUMENT',
          `${name}: indices[${i}]=${index} is out of range or repeated in its group of ${group}`,
          {
            details: { kernel: name, argument: 'indices', position: i, value: index },
          },
        );
      }
      seen |= 1n << BigInt(index);
    }
  }
  const buffer = kernels.alloc('float32', length);
  buffer.view().set(weights.values.subarray(0, length));
  const indicesBuffer = kernels.alloc('uint8', length);
  indicesBuffer.view().set(weights.indices.subarray(0, length));
  let biasBuffer: KernelBuffer<'float32'> | undefined;
  if (options.bias !== undefined) {
    biasBuffer = kernels.alloc('float32', rows);
    biasBuffer.view().set(options.bias.subarray(0, rows));
  }
  return {
    kind: 'nm-sparse',
    rows,
    columns,
    kept,
    group,
    kernels,
    buffer,
    indicesBuffer,
    biasBuffer,
    dispose() {
      buffer.free();
      indicesBuffer.free();
      biasBuffer?.free();
    },
  };
}
