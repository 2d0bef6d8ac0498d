/**
 * A dense weight matrix in the nn.Linear convention: `data` is row-major `[rows, columns]` = `[out, in]`,
 * so row i holds the weights of output channel i and column j multiplies input channel j (brief §0).
 * ONNX MatMul weights are stored `[in, out]`; transpose them before calling the cores.
 */
export interface WeightMatrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly columns: number;
}

/**
 * Which weights to prune.
 * - `unstructured`: a fraction `sparsity` in (0, 1) of each comparison group.
 * - `nm`: `n` nonzero (kept) weights in every group of `m` consecutive input weights of a row. "2:4" keeps 2 of 4.
 *   Note that the official Wanda/DSnoT code names the *pruned* count `prune_n`; for 2:4, 4:8 and 8:16 both readings
 *   give 50% and the same masks.
 */
export type SparsityPattern =
  | { readonly kind: 'unstructured'; readonly sparsity: number }
  | { readonly kind: 'nm'; readonly n: number; readonly m: number };

/**
 * A pruning mask over a `WeightMatrix`: `pruned[i * columns + j] === 1` where weight (i, j) is zeroed,
 * 0 where it is kept (the official code's `W_mask == True` convention).
 */
export type PruneMask = Uint8Array;

/** The seven linears of a Llama-style decoder block, by their Hugging Face names. */
export type LinearProjection =
  | 'q_proj'
  | 'k_proj'
  | 'v_proj'
  | 'o_proj'
  | 'gate_proj'
  | 'up_proj'
  | 'down_proj';
