import { XError } from '../errors';
import { type Dtype, isDtype, type TensorDataMap } from './dtype';
import type { OrtTensorLike, Tensor } from './tensor';
import { assertTensor } from './to-ort';

/**
 * Views an onnxruntime tensor (from either runtime, any copy of onnxruntime-common) as an @x tensor,
 * without copying. float16 data held in a `Float16Array` is reinterpreted as its Uint16Array bits.
 * Throws `X_DTYPE_MISMATCH` for types @x does not model (float64, string, uint64, ...) and for tensors
 * whose data is not on the CPU (GPU-resident outputs must be downloaded with `getData()` first).
 */
export function fromOrt(ortTensor: OrtTensorLike, argument = 'tensor'): Tensor {
  const { type } = ortTensor;
  if (!isDtype(type)) {
    throw new XError(
      'X_DTYPE_MISMATCH',
      `${argument} has ORT type ${JSON.stringify(type)}, which @x tensors do not support`,
      {
        details: { argument, type },
      },
    );
  }
  if (
    ortTensor.location !== undefined &&
    ortTensor.location !== 'cpu' &&
    ortTensor.location !== 'cpu-pinned'
  ) {
    throw new XError(
      'X_DTYPE_MISMATCH',
      `${argument} lives in ${ortTensor.location}, not on the CPU; download it with getData() first`,
      { details: { argument, location: ortTensor.location } },
    );
  }
  let data = ortTensor.data as TensorDataMap[Dtype];
  if (type === 'float16' && Object.prototype.toString.call(data) === '[object Float16Array]') {
    const view = data as unknown as { buffer: ArrayBufferLike; byteOffset: number; length: number };
    data = new Uint16Array(view.buffer, view.byteOffset, view.length);
  }
  const tensor: Tensor = { dtype: type, dims: Object.freeze([...ortTensor.dims]), data };
  assertTensor(tensor, argument);
  return tensor;
}
