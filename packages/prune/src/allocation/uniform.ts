import { checkPositiveInteger, checkSparsity } from '../internal/validate';

/** Every layer at the same sparsity. */
export function allocateUniform(layers: number, sparsity: number): Float64Array {
  checkPositiveInteger(layers, 'layers');
  checkSparsity(sparsity);
  return new Float64Array(layers).fill(sparsity);
}
