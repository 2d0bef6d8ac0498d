import { XError } from '../errors';
import type { Dtype } from './dtype';
import type { Tensor } from './tensor';
import { tensorSize } from './tensor-size';

/**
 * The same data under new dims (no copy). One dim may be -1 and is inferred.
 * Throws `X_SHAPE_MISMATCH` when the element counts differ.
 */
export function reshape<D extends Dtype>(tensor: Tensor<D>, dims: readonly number[]): Tensor<D> {
  const size = tensorSize(tensor.dims, 'tensor.dims');
  const inferred = dims.indexOf(-1);
  let resolved = [...dims];
  if (inferred !== -1) {
    if (dims.lastIndexOf(-1) !== inferred) {
      throw new XError('X_SHAPE_MISMATCH', `reshape: dims [${dims.join(', ')}] have more than one -1`, {
        details: { argument: 'dims' },
      });
    }
    const known = tensorSize(
      dims.filter((_, i) => i !== inferred),
      'dims',
    );
    if (known === 0 || size % known !== 0) {
      throw new XError(
        'X_SHAPE_MISMATCH',
        `reshape: cannot infer -1 in [${dims.join(', ')}] for a tensor of ${size} elements`,
        { details: { argument: 'dims', size } },
      );
    }
    resolved = dims.map((dim) => (dim === -1 ? size / known : dim));
  }
  const newSize = tensorSize(resolved, 'dims');
  if (newSize !== size) {
    throw new XError(
      'X_SHAPE_MISMATCH',
      `reshape: dims [${dims.join(', ')}] hold ${newSize} elements, the tensor [${tensor.dims.join(', ')}] has ${size}`,
      { details: { argument: 'dims', size, newSize } },
    );
  }
  return { dtype: tensor.dtype, dims: Object.freeze(resolved), data: tensor.data };
}
