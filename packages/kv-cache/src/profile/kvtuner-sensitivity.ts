import { attentionReference, type KiviBits } from '@x/kernels-wasm';
import { fakeQuantizeKeyRows, fakeQuantizeValueRows } from '../policies/kivi-fake-quant';
import type { KvBitPair } from './kvtuner-pairs';

export interface LayerSensitivityInput {
  /** `[numHeads, length, headDim]` post-RoPE queries of one calibration prompt. */
  query: Float32Array;
  /** `[numKvHeads, length, headDim]` post-RoPE keys and values. */
  key: Float32Array;
  value: Float32Array;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  length: number;
  scale: number;
  /** KIVI's residual length R. */
  residualLength: number;
  /** The last `queryRows` queries are scored. */
  queryRows: number;
}

function lastRows(
  source: Float32Array,
  heads: number,
  length: number,
  rows: number,
  width: number,
): Float32Array {
  const out = new Float32Array(heads * rows * width);
  for (let h = 0; h < heads; h++)
    out.set(
      source.subarray((h * length + length - rows) * width, (h * length + length) * width),
      h * rows * width,
    );
  return out;
}

/**
 * KVTuner's per-layer sensitivity proxy (kv-cache brief §2.2, "inferred": the paper searches on task accuracy, the
 * brief recommends e_l(p) = ‖o_l − ô_l(p)‖ / ‖o_l‖ with only layer l quantized): the cache of one calibration prompt is
 * put in KIVI's state after prefilling it (keys T − T mod R quantized per channel, values T − R per token, each side
 * on its own bit grid), and the causal attention of the last `queryRows` queries over it is compared with fp32.
 * Returns one relative error per pair, in `pairs` order.
 */
export function measureLayerSensitivity(input: LayerSensitivityInput, pairs: readonly KvBitPair[]): number[] {
  const { numHeads, numKvHeads, headDim: d, length, scale, residualLength } = input;
  const rows = Math.min(input.queryRows, length);
  const query = lastRows(input.query, numHeads, length, rows, d);
  const shape = { query, numHeads, numKvHeads, queryLength: rows, kvLength: length, headDim: d };
  const exact = attentionReference({ ...shape, key: input.key, value: input.value }, { scale, causal: true });
  let norm = 0;
  for (let i = 0; i < exact.length; i++) norm += exact[i] * exact[i];
  const keyGroups = (length - (length % residualLength)) / 32;
  const valueRows = Math.max(0, length - residualLength);
  const keyCache = new Map<KiviBits, Float32Array>();
  const valueCache = new Map<KiviBits, Float32Array>();
  return pairs.map(({ keyBits, valueBits }) => {
    let key = keyCache.get(keyBits);
    if (!key) {
      key = input.key.slice();
      fakeQuantizeKeyRows(key, numKvHeads, length, d, 0, keyGroups, keyBits);
      keyCache.set(keyBits, key);
    }
    let value = valueCache.get(valueBits);
    if (!value) {
      value = input.value.slice();
      fakeQuantizeValueRows(value, numKvHeads, length, d, 0, valueRows, valueBits);
      valueCache.set(valueBits, value);
    }
    const approx = attentionReference({ ...shape, key, value }, { scale, causal: true });
    let error = 0;
    for (let i = 0; i < exact.length; i++) error += (exact[i] - approx[i]) ** 2;
    return Math.sqrt(error / (norm || 1));
  });
}
