/**
 * TypeScript twin of decode attention over a KIVI cache: dequantize the whole cache
 * (`dequantizeKiviCache`) and run the dense twin. The wasm kernel must match it without ever
 * materialising the fp32 cache.
 */
import type { KiviAttentionInput } from '../attention-kivi-cache';
import { validateKiviCache } from '../attention-kivi-cache';
import type { AttentionOptions } from '../attention-types';
import { attentionReference } from './attention-dense';
import { dequantizeKiviCache } from './attention-kivi-pack';

/** Attention of `query` over everything the cache holds (quantized part and fp32 windows). */
export function kiviAttentionReference(
  input: KiviAttentionInput,
  options: AttentionOptions = {},
): Float32Array {
  validateKiviCache('kiviAttentionReference', input.cache);
  const { key, value } = dequantizeKiviCache(input.cache);
  return attentionReference(
    {
      query: input.query,
      key,
      value,
      numHeads: input.numHeads,
      numKvHeads: input.cache.numKvHeads,
      queryLength: input.queryLength,
      kvLength: input.cache.length,
      headDim: input.cache.headDim,
    },
    options,
  );
}
