/**
 * Decode attention (one or a few query rows) on a KIVI-packed KV cache, on the wasm kernels
 * (KIVI, arXiv 2402.02750): tiles of 32 tokens are dequantized into L1 scratch and consumed at once,
 * so the fp32 cache never exists; the query rows of a GQA group share one pass over the packed
 * bytes. The twin is `kiviAttentionReference`.
 *
 * Cache arrays that already live in this instance's memory (from `allocateKiviCache` /
 * `uploadKiviCache`) are read in place; others are copied in for the call.
 */
import {
  type CreateKiviCacheOptions,
  createKiviCache,
  type KiviAttentionInput,
  type KiviCache,
  validateKiviCache,
} from './attention-kivi-cache';
import {
  checkOutputDisjoint,
  engineScratchBytes,
  finishOutputRows,
  outputBytes,
  stagedRowBytes,
  stageOutputRows,
  stageRows,
  viewOf,
} from './attention-staging';
import type { AttentionOptions } from './attention-types';
import {
  checkArray,
  checkCausalLength,
  checkCount,
  checkHeads,
  resolveAttentionOptions,
  resolveOutput,
} from './attention-validate';
import { KernelError } from './errors';
import type { KernelInput } from './internal/io';
import type { Kernels } from './load';
import type { KernelBuffer } from './runtime/memory';
import { ScratchArena } from './runtime/scratch';

export const kiviAttentionVariants = [
  'xk_f32_attention_kivi_4x8_relaxedsimd',
  'xk_f32_attention_kivi_4x8_wasmsimd',
] as const;

type Tensor = KernelInput<'float32'>;

const arrayFields = [
  'keyCodes',
  'keyScales',
  'keyMins',
  'keyResidual',
  'valueCodes',
  'valueScales',
  'valueMins',
  'valueResidual',
] as const;
type ArrayField = (typeof arrayFields)[number];

function inMemory(kernels: Kernels, array: ArrayBufferView): boolean {
  return array.buffer === kernels.memory.memory.buffer;
}

/** Decode attention over everything the cache holds; returns `[numHeads, queryLength, headDim]`. */
export function kiviAttention(
  kernels: Kernels,
  input: KiviAttentionInput<Tensor>,
  options: AttentionOptions<Tensor> = {},
): Float32Array {
  const name = 'kiviAttention';
  const { cache, numHeads, queryLength } = input;
  validateKiviCache(name, cache);
  const { numKvHeads, headDim } = cache;
  checkHeads(name, numHeads, numKvHeads, headDim);
  checkCount(name, 'queryLength', queryLength);
  checkCount(name, 'cache.length', cache.length);
  const rows = numHeads * queryLength;
  checkArray(name, 'query', viewOf(input.query), 'Float32Array', rows * headDim);
  const { scale, causal } = resolveAttentionOptions(name, headDim, options);
  if (causal) checkCausalLength(name, 'cache.length', cache.length, queryLength);
  if (options.output !== undefined) resolveOutput(name, viewOf(options.output), rows * headDim);
  checkOutputDisjoint(name, options.output, { query: input.query });
  // Addresses of arrays already in this memory, read before scratch.begin (which may grow the memory
  // and detach their views).
  const pointers = {} as Record<ArrayField, number>;
  const staged: ArrayField[] = [];
  for (const field of arrayFields) {
    if (inMemory(kernels, cache[field])) pointers[field] = cache[field].byteOffset;
    else staged.push(field);
  }
  kernels.scratch.begin(
    ScratchArena.bytesFor(
      stagedRowBytes(input.query, rows, headDim),
      outputBytes(options.output, rows, headDim),
      ...staged.map((field) => cache[field].byteLength),
      engineScratchBytes(headDim) + 32 * headDim * 4,
    ),
  );
  const q = stageRows(kernels, input.query, rows, headDim);
  const o = stageOutputRows(kernels, options.output, rows, headDim);
  for (const field of staged) {
    const array = cache[field];
    const pointer = kernels.scratch.take(array.byteLength);
    new Uint8Array(kernels.memory.memory.buffer, pointer, array.byteLength).set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
    );
    pointers[field] = pointer;
  }
  const scratch = kernels.scratch.take(engineScratchBytes(headDim) + 32 * headDim * 4);
  kernels.kernel(...kiviAttentionVariants)(
    q,
    o,
    numHeads,
    numKvHeads,
    queryLength,
    headDim,
    scale,
    causal ? 1 : 0,
    cache.bits,
    cache.capacity,
    cache.residualCapacity,
    cache.keyQuantizedLength,
    pointers.keyCodes,
    pointers.keyScales,
    pointers.keyMins,
    pointers.keyResidual,
    cache.valueQuantizedLength,
    pointers.valueCodes,
    pointers.valueScales,
    pointers.valueMins,
    pointers.valueResidual,
    cache.length,
    scratch,
  );
  return finishOutputRows(kernels, options.output, o, rows, headDim);
}

/** A KIVI cache whose arrays live in a kernels instance's memory (read in place by `kiviAttention`). */
export interface KiviKernelCache {
  /**
   * The cache. Its arrays view the kernels' memory; this getter re-makes them after the memory grew
   * (so read it again after other allocations rather than holding the arrays). Writers such as
   * `appendKiviToken` / `flushKiviCache` update it in place.
   */
  readonly cache: KiviCache;
  /** Returns the memory; the cache must not be used afterwards. */
  free(): void;
}

/** Allocates an empty KIVI cache inside the kernels' memory. */
export function allocateKiviCache(kernels: Kernels, options: CreateKiviCacheOptions): KiviKernelCache {
  return uploadKiviCache(kernels, createKiviCache(options));
}

/** Copies a KIVI cache into the kernels' memory. */
export function uploadKiviCache(kernels: Kernels, source: KiviCache): KiviKernelCache {
  validateKiviCache('uploadKiviCache', source);
  const buffers = {} as Record<ArrayField, KernelBuffer<'uint8'> | KernelBuffer<'float32'>>;
  for (const field of arrayFields) {
    const array = source[field];
    buffers[field] =
      array instanceof Uint8Array
        ? kernels.alloc('uint8', array.length)
        : kernels.alloc('float32', array.length);
  }
  const cache: KiviCache = { ...source };
  let seen: ArrayBufferLike | undefined;
  let freed = false;
  const refresh = (): KiviCache => {
    if (freed) throw new KernelError('KERNEL_DISPOSED', 'KiviKernelCache used after free()', {});
    if (seen !== kernels.memory.memory.buffer) {
      seen = kernels.memory.memory.buffer;
      for (const field of arrayFields)
        (cache as unknown as Record<ArrayField, ArrayBufferView>)[field] = buffers[field].view();
    }
    return cache;
  };
  refresh();
  for (const field of arrayFields) (cache[field] as Uint8Array | Float32Array).set(source[field] as never);
  return {
    get cache() {
      return refresh();
    },
    free() {
      if (freed) return;
      freed = true;
      for (const field of arrayFields) buffers[field].free();
    },
  };
}
