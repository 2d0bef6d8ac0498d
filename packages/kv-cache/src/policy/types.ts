/**
 * The KV-cache policy seam (docs/architecture/0004-generation-runtime.md). A policy decides what the cache keeps
 * and how new queries attend to it. The runtime owns the loop (positions, sampling, stop criteria) and calls a
 * policy's caches at fixed points:
 *
 * split mode, per layer and step:  `append(rows)` → `attend(query)` → (prefill only) `afterPrefill(context)`
 * stock mode, per step:             `update(present, start, count)` → `past()` fed to the next `session.run`
 *
 * Keys arrive post-RoPE with their ABSOLUTE positions (kv-cache brief §8.3): a slot's position is baked into its
 * key, so heads may hold different tokens and eviction never changes a kept key.
 */
import type { Tensor } from '@x/core';
import type { Kernels } from '@x/kernels-wasm';

/** The generation modes (see `createGenerator`). */
export type GenerationMode = 'stock' | 'split';

/** Attention shape of the model the cache serves (all layers alike). */
export interface KvCacheShape {
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** The model's context (largest position + 1) when known; budgets larger than it are rejected. */
  maxPositions?: number;
  /**
   * The model's weights hash (`computeModelFingerprint`), set by `createGenerator` for profile-driven policies:
   * a profile made for another model of the same shape is rejected (`KV_PROFILE_MISMATCH`).
   */
  weightsHash?: string;
}

/** Memory of a cache in bytes. */
export interface KvBytes {
  /** Held between steps: the stored keys, values and any quantization metadata, summed over layers. */
  resident: number;
  /** Largest amount held at any time so far, including transient copies the policy makes (e.g. before eviction). */
  peak: number;
}

/** Tracks current and peak bytes across all layers of one cache (caches call `change` when they grow or shrink). */
export interface KvMeter {
  readonly current: number;
  readonly peak: number;
  /** Adds `delta` bytes (negative to release) and updates the peak. */
  change(delta: number): void;
}

/** What the runtime hands a policy when it creates a split-mode cache. */
export interface KvCacheContext {
  /** The wasm kernels to attend with (`attention`, `raggedAttention`, `kiviAttention`). */
  kernels: Kernels;
  /** The cache's memory meter; layers report every change in held bytes. */
  meter: KvMeter;
}

/** New K/V rows of one layer: post-RoPE, `[numKvHeads, count, headDim]`, positions `start .. start+count-1`. */
export interface KvRows {
  key: Float32Array;
  value: Float32Array;
  count: number;
  /** Absolute position of row 0. */
  start: number;
}

/** Queries of one layer: `[numHeads, queryLength, headDim]` post-RoPE; their own keys were appended just before. */
export interface KvQueries {
  query: Float32Array;
  queryLength: number;
  /** Absolute position of query row 0. */
  start: number;
  /** Softmax scale (usually `1 / sqrt(headDim)`). */
  scale: number;
}

/**
 * One layer of a split-mode cache. Heads may hold different numbers of slots (RazorAttention) and store any
 * representation (KIVI packs codes); the only contract is that `attend` returns causal attention of the queries
 * over what the layer holds, slots in increasing position order, the new rows last.
 */
export interface KvLayerCache {
  readonly layer: number;
  /** Stores this step's rows (called once per layer and step, before `attend`). */
  append(rows: KvRows): void;
  /**
   * Attention output `[numHeads, queryLength, headDim]` of the queries over the held slots (causal: query `i` sees
   * every held slot of position <= start + i). A retrieval policy (FreeKV-style page selection) selects its
   * working set here, from this query (or the previous one it kept).
   */
  attend(queries: KvQueries): Float32Array;
  /**
   * Called once, after the prefill's `attend`, with the prefill queries: where prefill compression (SnapKV's
   * observation window) and per-head budgets (RazorAttention) apply.
   */
  afterPrefill?(queries: KvQueries): void;
  /** Slots held by KV head `head`. */
  length(head: number): number;
  /** Absolute positions of KV head `head`'s slots, in slot order (a copy). */
  positions(head: number): Int32Array;
  /** Bytes this layer holds now. */
  residentBytes(): number;
}

/** A split-mode cache: one `KvLayerCache` per decoder layer. */
export interface KvCache {
  readonly layers: readonly KvLayerCache[];
  /** Resident (sum over layers now) and peak (meter's maximum) bytes. */
  bytes(): KvBytes;
  /** Frees kernel memory, if any. */
  dispose?(): void;
}

/** One layer's cache tensors in the stock graph's layout `[1, numKvHeads, S, headDim]`. */
export interface StockLayerKv {
  key: Tensor;
  value: Tensor;
}

/**
 * A stock-graph cache (the Optimum `past_key_values.*` / `present.*` contract): one S for all layers and heads.
 * Usable from any loop, including a transformers.js user's own (see `createStockKvAdapter`).
 */
export interface StockKvCache {
  /**
   * Takes a step's `present` tensors (`[1, H_kv, S + count, D]`, the last `count` rows new, at absolute
   * positions `start .. start+count-1`) and keeps what the policy keeps (copying out of ORT's buffers).
   */
  update(present: readonly StockLayerKv[], start: number, count: number): void;
  /** The `past_key_values` to feed next, `[1, H_kv, S, D]` per layer (dequantized if the policy stores packed). */
  past(): readonly StockLayerKv[];
  /** Slots held (S), equal for every layer and head. */
  length(): number;
  /**
   * Absolute positions of the held slots: shared by all layers and heads for eviction policies; a policy whose
   * heads keep different tokens (SnapKV) takes `(layer, head)`.
   */
  positions(layer?: number, head?: number): Int32Array;
  /** Resident: what `update` keeps between steps. Peak: also counts the `present` a step hands over. */
  bytes(): KvBytes;
}

/** A configured policy. `options` are the resolved options, echoed in results. */
export interface KvPolicy<Options extends object = object> {
  readonly name: string;
  readonly options: Readonly<Options>;
  /** Modes this policy can run in. */
  readonly modes: readonly GenerationMode[];
  /** Split mode: a cache for the model's layers. Present when `modes` includes `'split'`. */
  createCache?(shape: KvCacheShape, context: KvCacheContext): KvCache;
  /** Stock mode: a uniform-length cache. Present when `modes` includes `'stock'`. */
  createStockCache?(shape: KvCacheShape): StockKvCache;
}

/** Builds a policy from user options (unknown keys or bad values throw `KV_INVALID_OPTION`). */
export type KvPolicyFactory = (options?: Record<string, unknown>) => KvPolicy;
