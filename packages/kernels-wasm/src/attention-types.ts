/**
 * Shapes and options of the attention kernels (dense, masked/biased, ragged per-head KV, block-sparse,
 * KIVI decode). One memory layout everywhere, fp32, row-major:
 *
 * - `query`, output: `[numHeads, queryLength, headDim]`
 * - `key`, `value`: `[numKvHeads, kvLength, headDim]` (ragged: each KV head's rows back to back)
 * - GQA: `numHeads` is a multiple of `numKvHeads`; query head `h` reads KV head
 *   `floor(h / (numHeads / numKvHeads))` (consecutive query heads share a KV head, as in
 *   onnxruntime's GroupQueryAttention and Hugging Face `repeat_kv`).
 * - Positions / RoPE are applied by the caller: keys arrive post-RoPE.
 * - `scale` defaults to `1 / sqrt(headDim)`.
 * - Causal attention is bottom-right aligned: query `i` sits at position `kvLength - queryLength + i`
 *   and sees keys `j <= i + kvLength - queryLength` (the new queries are the last keys of the cache).
 * - A query row that sees no key at all gets an all-zero output row.
 */

/**
 * Dense attention inputs. The twins take Float32Arrays; the wasm kernels also take KernelBuffers
 * (`T = Float32Array | KernelBuffer<'float32'>`), used in place when `headDim` is a multiple of 8.
 */
export interface AttentionInput<T = Float32Array> {
  /** `[numHeads, queryLength, headDim]` */
  query: T;
  /** `[numKvHeads, kvLength, headDim]` */
  key: T;
  /** `[numKvHeads, kvLength, headDim]` */
  value: T;
  numHeads: number;
  numKvHeads: number;
  queryLength: number;
  kvLength: number;
  headDim: number;
}

/** Options shared by every attention kernel. */
export interface AttentionOptions<T = Float32Array> {
  /**
   * Multiplier of `q . k` before the softmax.
   * @defaultValue `1 / Math.sqrt(headDim)`
   */
  scale?: number;
  /**
   * Bottom-right-aligned causal mask (query `i` sees keys `j <= i + kvLength - queryLength`).
   * Needs `kvLength >= queryLength`.
   * @defaultValue false
   */
  causal?: boolean;
  /** Write the result here (`numHeads * queryLength * headDim` floats) instead of a new array. */
  output?: T;
}

/** Extra inputs of dense attention with an arbitrary visibility pattern (tree attention, padding). */
export interface AttentionMaskOptions<T = Float32Array> extends AttentionOptions<T> {
  /**
   * Additive logits `[biasHeads, queryLength, kvLength]` with `biasHeads` 1 (shared by all heads) or
   * `numHeads`. Added after scaling: `score = scale * q . k + bias`. `-Infinity` hides a key.
   */
  bias?: Float32Array;
  /**
   * Visibility `[maskHeads, queryLength, kvLength]` with `maskHeads` 1 or `numHeads`; nonzero = query
   * may see key. For speculative tree verification: row `i` marks the cache plus the ancestors-or-self
   * of tree node `i`. Combines with `causal` and `bias` (a key must pass all of them).
   */
  mask?: Uint8Array;
}

/**
 * Attention where every KV head holds its own key list and length (RazorAttention-style budgets:
 * retrieval heads keep the whole cache, the others sinks + a recent window + a compensation token).
 * Keys are post-RoPE, so a slot's position is baked into its key and heads may hold different tokens.
 */
export interface RaggedAttentionInput<T = Float32Array> {
  /** `[numHeads, queryLength, headDim]` */
  query: T;
  /** Rows of KV head 0 (`kvLengths[0]` rows of `headDim`), then KV head 1, ... */
  key: T;
  /** Same layout as `key`. */
  value: T;
  /** Rows held by each KV head, `numKvHeads` entries. */
  kvLengths: ArrayLike<number>;
  numHeads: number;
  numKvHeads: number;
  queryLength: number;
  headDim: number;
}

/** Options of ragged attention. */
export interface RaggedAttentionOptions<T = Float32Array> extends AttentionOptions<T> {
  /**
   * An additive logit per stored key (same row order as `key`, one float per row). RazorAttention's
   * compensation token, the mean of `n` dropped keys/values, takes `Math.log(n)` here (arXiv 2407.15891,
   * Eq. 4: the slot weighs as the `n` tokens it stands for).
   */
  keyBias?: Float32Array;
}

/**
 * Kept key blocks per (head, query block), CSR-like. Query block `b` covers queries
 * `b * blockSizeQuery ..`, key block `c` covers keys `c * blockSizeKey ..` (the last blocks may be
 * partial). The kept key blocks of (layout head `L`, query block `b`) are
 * `keyBlocks[rowOffsets[L * numQueryBlocks + b] .. rowOffsets[L * numQueryBlocks + b + 1])`, distinct,
 * in processing order (always-kept sink blocks first is best). Layout head `L = h % layoutHeads` with
 * `layoutHeads` 1 (one pattern for all heads) or `numHeads`.
 */
export interface BlockSparseLayout {
  blockSizeQuery: number;
  blockSizeKey: number;
  numQueryBlocks: number;
  numKeyBlocks: number;
  layoutHeads: number;
  /** `layoutHeads * numQueryBlocks + 1` nondecreasing offsets, starting at 0. */
  rowOffsets: Int32Array;
  /** Kept key block indices. */
  keyBlocks: Int32Array;
}

/** Resolved options echoed by `resolveAttentionOptions`. */
export interface ResolvedAttentionOptions {
  scale: number;
  causal: boolean;
}
