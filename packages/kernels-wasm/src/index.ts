// Public surface of @x/kernels-wasm: named exports only.

// Attention kernels (dense, mask/bias, ragged per-head KV, block-sparse, KIVI decode) and their twins.
export { attention, attentionVariants } from './attention';
export { blockSparseAttention, blockSparseAttentionVariants } from './attention-block-sparse';
export type { BlockSparseLayoutOptions, TokenRange } from './attention-block-sparse-layout';
export { blockSparseDensity, createBlockSparseLayout } from './attention-block-sparse-layout';
export type { KiviKernelCache } from './attention-kivi';
export { allocateKiviCache, kiviAttention, kiviAttentionVariants, uploadKiviCache } from './attention-kivi';
export type { CreateKiviCacheOptions, KiviAttentionInput, KiviBits, KiviCache } from './attention-kivi-cache';
export { createKiviCache, KIVI_GROUP_SIZE, kiviCacheBytes, validateKiviCache } from './attention-kivi-cache';
export { unpackKiviCache } from './attention-kivi-unpack';
export { raggedAttention } from './attention-ragged';
export type {
  AttentionInput,
  AttentionMaskOptions,
  AttentionOptions,
  BlockSparseLayout,
  RaggedAttentionInput,
  RaggedAttentionOptions,
  ResolvedAttentionOptions,
} from './attention-types';
export { ATTENTION_MAX_HEAD_DIM } from './attention-validate';
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
export type { HadamardTransformOptions } from './hadamard/hadamard-transform';
export { hadamardTransform } from './hadamard/hadamard-transform';
export type { KernelIsa, Kernels, LoadKernelsOptions, ResolvedLoadKernelsOptions } from './load';
export { getKernels, loadKernels, resolveLoadKernelsOptions } from './load';
export type { KernelModuleSource } from './module-source';
export type { NmCompressedWeights, NmShape } from './nm-sparse/compress-nm-weights';
export { compressNmWeights } from './nm-sparse/compress-nm-weights';
export type { LoadedNmSparse } from './nm-sparse/load-nm-sparse';
export { loadNmSparse } from './nm-sparse/load-nm-sparse';
export type { MaskNmActivationsOptions } from './nm-sparse/mask-nm-activations';
export { maskNmActivations } from './nm-sparse/mask-nm-activations';
export type { NmSparseGemmOptions } from './nm-sparse/nm-sparse-gemm';
export { nmSparseGemm } from './nm-sparse/nm-sparse-gemm';
export type { LoadedMatMulNBits, MatMulNBitsWeights } from './qn-gemm/load-matmul-nbits';
export { loadMatMulNBits } from './qn-gemm/load-matmul-nbits';
export type { MatMulNBitsOptions } from './qn-gemm/matmul-nbits';
export { matMulNBits } from './qn-gemm/matmul-nbits';
export type { PackedQs8Gemm, PackQs8GemmOptions } from './qs8-gemm/pack-qs8-gemm';
export { packQs8Gemm } from './qs8-gemm/pack-qs8-gemm';
export type { Qs8GemmOptions } from './qs8-gemm/qs8-gemm';
export { qs8Gemm } from './qs8-gemm/qs8-gemm';
export { blockSparseAttentionReference, blockSparseMask } from './reference/attention-block-sparse';
export { attentionReference } from './reference/attention-dense';
export { kiviAttentionReference } from './reference/attention-kivi';
export type { PackKiviCacheOptions } from './reference/attention-kivi-pack';
export {
  appendKiviToken,
  dequantizeKiviCache,
  flushKiviCache,
  packKiviCache,
  quantizeKiviGroup,
  readKiviCode,
} from './reference/attention-kivi-pack';
export { raggedAttentionReference } from './reference/attention-ragged';
export { f32GemmRef } from './reference/f32-gemm.ref';
export { hadamardTransformRef } from './reference/hadamard.ref';
export type { MatMulNBitsRefWeights } from './reference/matmul-nbits.ref';
export { dequantizeMatMulNBitsRef, matMulNBitsRef } from './reference/matmul-nbits.ref';
export { maskNmActivationsRef, nmSparseGemmRef } from './reference/nm-sparse.ref';
export { qs8GemmRef } from './reference/qs8-gemm.ref';
export { hasRelaxedSimd, hasSharedMemory, hasWasmSimd } from './runtime/features';
export type { KernelBuffer, KernelDtype } from './runtime/memory';
export type { CreateKernelPoolOptions, KernelCall, KernelPool } from './threads/kernel-pool';
export { createKernelPool } from './threads/kernel-pool';
export { parallelF32Gemm } from './threads/parallel-f32-gemm';
