/**
 * SnapKV scoring (Li et al. 2024, arXiv 2404.14469; FasterDecoding/SnapKV `snapkv_utils.py`, kv-cache brief §4):
 * the last `window` prompt queries attend (causal softmax over every held slot); each prefix slot j < T − window
 * scores s_j = Σ_{t ∈ window} A[t, j], averaged over the query heads of a GQA group (kvpress; the original is MHA),
 * then smoothed by a 1-D pool of `kernelSize` (stride 1, padding kernelSize/2; avg counts the zero padding as
 * torch's `avg_pool1d` does). Plain loops over typed arrays, float64 accumulation.
 */
export interface SnapKvScoreInput {
  /** `[numHeads, queryLength, headDim]` prefill queries. */
  query: Float32Array;
  queryLength: number;
  numHeads: number;
  headDim: number;
  scale: number;
  /** Keys of one KV head, `[length, headDim]`; the last `queryLength` rows are the queries' own keys. */
  key: Float32Array;
  length: number;
  /** KV head index: query heads `kvHead·group .. (kvHead+1)·group − 1` are scored. */
  kvHead: number;
  group: number;
  window: number;
  kernelSize: number;
  pooling: 'avg' | 'max';
}

/** Pooled scores of the `length − window` prefix slots. */
export function scoreSnapKvPrefix(input: SnapKvScoreInput): Float64Array {
  const { query, queryLength, headDim: d, scale, key, length, kvHead, group, window } = input;
  const prefix = length - window;
  const raw = new Float64Array(prefix);
  const logits = new Float64Array(length);
  for (let member = 0; member < group; member++) {
    const head = kvHead * group + member;
    for (let t = queryLength - window; t < queryLength; t++) {
      const q = (head * queryLength + t) * d;
      const visible = length - queryLength + t + 1;
      let peak = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < visible; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += query[q + c] * key[j * d + c];
        logits[j] = dot * scale;
        if (logits[j] > peak) peak = logits[j];
      }
      let sum = 0;
      for (let j = 0; j < visible; j++) {
        logits[j] = Math.exp(logits[j] - peak);
        sum += logits[j];
      }
      for (let j = 0; j < prefix; j++) raw[j] += logits[j] / sum / group;
    }
  }
  return poolScores(raw, input.kernelSize, input.pooling);
}

/** 1-D pooling, stride 1, `padding = floor(kernel/2)` each side (torch `avg_pool1d`/`max_pool1d`). */
export function poolScores(values: Float64Array, kernelSize: number, pooling: 'avg' | 'max'): Float64Array {
  const pad = Math.floor(kernelSize / 2);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let acc = pooling === 'avg' ? 0 : Number.NEGATIVE_INFINITY;
    for (let k = i - pad; k < i - pad + kernelSize; k++) {
      if (k < 0 || k >= values.length) continue;
      acc = pooling === 'avg' ? acc + values[k] : Math.max(acc, values[k]);
    }
    out[i] = pooling === 'avg' ? acc / kernelSize : acc;
  }
  return out;
}

/** Indices of the `count` largest scores, returned in increasing index order (ties: lower index first). */
export function topIndices(scores: Float64Array, count: number): Int32Array {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[b] - scores[a] || a - b,
  );
  return Int32Array.from(order.slice(0, count)).sort();
}

/**
 * The `capacity` slots SnapKV keeps in one KV head of a `length`-slot prefill: the `capacity − window` best pooled
 * prefix votes (`scoreSnapKvPrefix`, `topIndices`) in position order, then the observation window (the last
 * `window` slots). Shared by split mode's `afterPrefill` and the stock cache.
 */
export function selectSnapKvSlots(
  input: Omit<SnapKvScoreInput, 'window' | 'kernelSize' | 'pooling'>,
  options: { window: number; capacity: number; kernelSize: number; pooling: 'avg' | 'max' },
): Int32Array {
  const { window, capacity } = options;
  const scores = scoreSnapKvPrefix({
    ...input,
    window,
    kernelSize: options.kernelSize,
    pooling: options.pooling,
  });
  const chosen = topIndices(scores, capacity - window);
  const slots = new Int32Array(capacity);
  slots.set(chosen);
  for (let i = 0; i < window; i++) slots[chosen.length + i] = input.length - window + i;
  return slots;
}
