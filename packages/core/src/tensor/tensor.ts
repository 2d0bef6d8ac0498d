import type { Dtype, TensorDataMap } from './dtype';

/**
 * The structural tensor every @x package exchanges: a dtype, dims and a typed array on the CPU.
 * It carries no methods and no class identity, so tensors from two copies of @x/core (or ORT tensors
 * converted with `fromOrt`) interoperate freely.
 */
export interface Tensor<D extends Dtype = Dtype> {
  readonly dtype: D;
  readonly dims: readonly number[];
  readonly data: TensorDataMap[D];
}

/**
 * The structural shape of an onnxruntime tensor (`onnxruntime-common` `Tensor`) as far as @x needs it.
 * Both onnxruntime-node and onnxruntime-web tensors match it; no `instanceof` is ever used.
 */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  readonly location?: string;
}
