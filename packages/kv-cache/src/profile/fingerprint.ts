import { findDecoderAnatomy, type OnnxModel } from '@x/core';
import { KvCacheError } from '../errors';

/** Identifies the model a profile was made for: its attention shape and a hash of some of its weights. */
export interface ModelFingerprint {
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  /** FNV-1a (32-bit, two seeds) over the first 64 KiB of every layer's q and k projection weights, hex. */
  weightsHash: string;
}

const HASH_BYTES = 65536;

function fnv1a(bytes: Uint8Array, seed: number, state: number): number {
  let hash = state ^ seed;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The fingerprint of a Llama-family decoder (@x/core `findDecoderAnatomy`): cheap (reads 128 KiB per layer) and
 * different for any retrained or re-quantized model of the same shape.
 */
export function computeModelFingerprint(model: OnnxModel): ModelFingerprint {
  const anatomy = findDecoderAnatomy(model);
  const { numLayers, numHeads, numKvHeads, headDim, vocabSize } = anatomy.config;
  let a = 0x811c9dc5;
  let b = 0x811c9dc5;
  for (const layer of anatomy.layers) {
    for (const name of [layer.q.weight, layer.k.weight]) {
      const data = model.getInitializer(name).data as ArrayBufferView;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, Math.min(data.byteLength, HASH_BYTES));
      a = fnv1a(bytes, 0, a);
      b = fnv1a(bytes, 0x5bd1e995, b);
    }
  }
  const hex = (value: number) => value.toString(16).padStart(8, '0');
  return { numLayers, numHeads, numKvHeads, headDim, vocabSize, weightsHash: `${hex(a)}${hex(b)}` };
}

/**
 * Throws `KV_PROFILE_MISMATCH` when `expected` (a profile's) and `actual` (the model's) differ in shape or, when
 * both carry one, in weights hash. `file` names the profile in the message.
 */
export function checkFingerprint(
  file: string,
  expected: Partial<ModelFingerprint>,
  actual: Partial<ModelFingerprint>,
): void {
  const fields = ['numLayers', 'numHeads', 'numKvHeads', 'headDim', 'vocabSize', 'weightsHash'] as const;
  for (const field of fields) {
    if (expected[field] === undefined || actual[field] === undefined) continue;
    if (expected[field] !== actual[field]) {
      throw new KvCacheError(
        'KV_PROFILE_MISMATCH',
        `${file} was made for another model: ${field} ${String(expected[field])} in the profile, ${String(actual[field])} in the model`,
        { details: { file, field, profile: expected[field], model: actual[field] } },
      );
    }
  }
}
