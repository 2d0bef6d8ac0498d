export type { KernelErrorCode, KernelErrorOptions } from './errors';
export { isKernelError, KernelError } from './errors';
export type { HadamardFactor } from './hadamard/hadamard-matrix';
export {
  hadamardFactor,
  hadamardFactorMatrix,
  hadamardMatrix,
  hadamardOrders,
} from './hadamard/hadamard-matrix';
