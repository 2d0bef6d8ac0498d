/**
 * `T[m, n] −= A[m, k] · B[k, n]` with T a float64 row-major view (offset, stride) and the product an fp32 GEMM of
 * @x/kernels-wasm (`f32Gemm` on `packF32Gemm` panels). The left operand and the product live in two buffers inside
 * the kernels' memory that this workspace grows as needed and reuses, so a sequence of updates allocates nothing
 * after the largest one; `dispose()` returns them.
 */
import { f32Gemm, type KernelBuffer, type Kernels, type PackedF32Gemm } from '@x/kernels-wasm';

/** Where the m × n product is subtracted: `target[offset + r · stride + c]`. */
export interface Float64Window {
  readonly target: Float64Array;
  readonly offset: number;
  readonly stride: number;
}

export class GemmWorkspace {
  readonly kernels: Kernels;
  private left: KernelBuffer<'float32'> | undefined;
  private product: KernelBuffer<'float32'> | undefined;

  constructor(kernels: Kernels) {
    this.kernels = kernels;
  }

  private reserve(leftLength: number, productLength: number): void {
    if (this.left === undefined || this.left.length < leftLength) {
      this.left?.free();
      this.left = this.kernels.alloc('float32', leftLength);
    }
    if (this.product === undefined || this.product.length < productLength) {
      this.product?.free();
      this.product = this.kernels.alloc('float32', productLength);
    }
  }

  /**
   * The m × right.n product `A · B` for the m rows of A that `fillLeft` writes (row-major, m × right.k, into the
   * given array), B packed by `packF32Gemm` (right.k × right.n). The result is a view into the kernels' memory,
   * valid until the next call on this workspace or the next allocation in that memory.
   */
  multiply(m: number, fillLeft: (left: Float32Array) => void, right: PackedF32Gemm): Float32Array {
    const { k, n } = right;
    this.reserve(m * k, m * n);
    const left = this.left as KernelBuffer<'float32'>;
    const product = this.product as KernelBuffer<'float32'>;
    fillLeft(left.view().subarray(0, m * k));
    f32Gemm(this.kernels, left, right, { m, out: product });
    return product.view().subarray(0, m * n);
  }

  /** `window −= A · B`, with A and B as in `multiply`. */
  subtractProduct(
    window: Float64Window,
    m: number,
    fillLeft: (left: Float32Array) => void,
    right: PackedF32Gemm,
  ): void {
    const n = right.n;
    const values = this.multiply(m, fillLeft, right);
    const { target, offset, stride } = window;
    for (let r = 0; r < m; r++) {
      const to = offset + r * stride;
      const from = r * n;
      for (let c = 0; c < n; c++) target[to + c] -= values[from + c];
    }
  }

  dispose(): void {
    this.left?.free();
    this.product?.free();
    this.left = undefined;
    this.product = undefined;
  }
}
