import type { KiviBits } from '@x/kernels-wasm';

/** One layer's (key bits, value bits). */
export interface KvBitPair {
  keyBits: KiviBits;
  valueBits: KiviBits;
}

/** KVTuner's candidate pairs, {8,4,2}² (arXiv 2502.04420; kv-cache brief §2.2): KV8, K8V4, K8V2, K4V8, … KV2. */
export const KVTUNER_PAIRS: readonly KvBitPair[] = [8, 4, 2].flatMap((keyBits) =>
  [8, 4, 2].map((valueBits) => ({ keyBits: keyBits as KiviBits, valueBits: valueBits as KiviBits })),
);

/** A pair's cost in equivalent bits: (b_K + b_V) / 2 (a config's cost is the mean over layers). */
export function pairBits(pair: KvBitPair): number {
  return (pair.keyBits + pair.valueBits) / 2;
}

/** `K4V2`, `KV8`, … */
export function pairName(pair: KvBitPair): string {
  return pair.keyBits === pair.valueBits ? `KV${pair.keyBits}` : `K${pair.keyBits}V${pair.valueBits}`;
}
