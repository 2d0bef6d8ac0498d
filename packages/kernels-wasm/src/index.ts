// Public surface of @x/kernels-wasm: named exports only.

export type { KernelErrorCode, KernelErrorOptions } from './errors';
export { isKernelError, KernelError } from './errors';
export type { F32GemmOptions } from './f32-gemm/f32-gemm';
export { f32Gemm } from './f32-gemm/f32-gemm';
export type { PackedF32Gemm, PackF32GemmOptions } from './f32-gemm/pack-f32-gemm';
export { packF32Gemm } from './f32-gemm/pack-f32-gemm';
export type { HadamardFactor } from './hadamard/hadamard-matrix';

export {
  hadamardFactor,
  hadamardFactorMatrix,
  hadamardMatrix,
  hadamardOrders,
} from './hadamard/hadamard-matrix';
export type { KernelIsa, Kernels, LoadKernelsOptions, ResolvedLoadKernelsOptions } from './load';
export { getKernels, loadKernels, resolveLoadKernelsOptions } from './load';
export type { KernelModuleSource } from './module-source';
export { f32GemmRef } from './reference/f32-gemm.ref';
export { hasRelaxedSimd, hasSharedMemory, hasWasmSimd } from './runtime/features';
export type { KernelBuffer, KernelDtype } from './runtime/memory';
export type { CreateKernelPoolOptions, KernelCall, KernelPool } from './threads/kernel-pool';
export { createKernelPool } from './threads/kernel-pool';
export { parallelF32Gemm } from './threads/parallel-f32-gemm';
