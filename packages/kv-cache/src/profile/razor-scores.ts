/**
 * RazorAttention's retrieval-head probe scores (Tang et al. 2024, arXiv 2407.15891; kv-cache brief §1.1, checked in
 * mindspore-ai/golden-stick `razor_attention.py`). The probe is a block of `blockLength` random tokens repeated
 * `repeats` times, starting at index `offset` of the sequence (1 after a BOS). For a query row i in a later block
 * (r = i − offset ≥ blockLength):
 * - **echo** positions are the earlier occurrences of the same token, j = offset + (r mod blockLength) + m·blockLength < i;
 * - **induction** positions are the tokens that followed them, j + 1.
 * A head's score is the attention mass on those positions summed over rows, divided by S² (the mean over the full
 * S×S map, as the reference does). The masks are built relative to the first random token (the brief's fix of the
 * reference's BOS-shifted rows i ≡ 0 mod blockLength). GQA: a KV head scores the max over its query heads.
 */

/** Where the repeated random block sits in the probe sequence. */
export interface ProbeLayout {
  /** Index of the first random token (1 when a BOS is prepended). */
  offset: number;
  blockLength: number;
  repeats: number;
}

/** Echo and induction mass of one causal attention row `i` (`probabilities[j]`, j ≤ i). */
export function scoreAttentionRow(
  probabilities: ArrayLike<number>,
  i: number,
  layout: ProbeLayout,
): { echo: number; induction: number } {
  const r = i - layout.offset;
  let echo = 0;
  let induction = 0;
  if (r < layout.blockLength || r >= layout.blockLength * layout.repeats) return { echo, induction };
  for (let j = layout.offset + (r % layout.blockLength); j < i; j += layout.blockLength) {
    echo += probabilities[j];
    induction += probabilities[j + 1];
  }
  return { echo, induction };
}

export interface RetrievalScoreInput {
  /** `[numHeads, length, headDim]` post-RoPE queries of the probe. */
  query: Float32Array;
  /** `[numKvHeads, length, headDim]` post-RoPE keys. */
  key: Float32Array;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  length: number;
  scale: number;
  layout: ProbeLayout;
}

/** Per KV head echo and induction scores of one layer (causal softmax recomputed from q, k; float64). */
export function scoreRetrievalHeads(input: RetrievalScoreInput): {
  echo: Float64Array;
  induction: Float64Array;
} {
  const { query, key, numHeads, numKvHeads, headDim: d, length: n, scale, layout } = input;
  const group = numHeads / numKvHeads;
  const echo = new Float64Array(numKvHeads);
  const induction = new Float64Array(numKvHeads);
  const row = new Float64Array(n);
  const first = layout.offset + layout.blockLength;
  const last = Math.min(n, layout.offset + layout.blockLength * layout.repeats);
  for (let h = 0; h < numHeads; h++) {
    const g = Math.floor(h / group);
    const keyBase = g * n * d;
    let echoSum = 0;
    let inductionSum = 0;
    for (let i = first; i < last; i++) {
      const q = (h * n + i) * d;
      let peak = Number.NEGATIVE_INFINITY;
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        const k = keyBase + j * d;
        for (let c = 0; c < d; c++) dot += query[q + c] * key[k + c];
        row[j] = dot * scale;
        if (row[j] > peak) peak = row[j];
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) {
        row[j] = Math.exp(row[j] - peak);
        sum += row[j];
      }
      for (let j = 0; j <= i; j++) row[j] /= sum;
      const scores = scoreAttentionRow(row, i, layout);
      echoSum += scores.echo;
      inductionSum += scores.induction;
    }
    echo[g] = Math.max(echo[g], echoSum / (n * n));
    induction[g] = Math.max(induction[g], inductionSum / (n * n));
  }
  return { echo, induction };
}

/**
 * Retrieval heads model-wide: the top round(echoRatio · count) KV heads by echo score united with the top
 * round(inductionRatio · count) by induction score, count = all (layer, KV head) pairs. A head tied with the last
 * one chosen is kept too (as the reference). Returns, per layer, the sorted KV head indices.
 */
export function selectRetrievalHeads(
  scores: { echo: readonly (readonly number[])[]; induction: readonly (readonly number[])[] },
  ratios: { echoRatio: number; inductionRatio: number },
): number[][] {
  const layers = scores.echo.length;
  const chosen = scores.echo.map(() => new Set<number>());
  const pick = (table: readonly (readonly number[])[], ratio: number) => {
    const all = table.flatMap((row, l) => row.map((value, h) => ({ value, l, h })));
    const count = Math.round(ratio * all.length);
    if (count === 0) return;
    const threshold = [...all].sort((a, b) => b.value - a.value)[count - 1].value;
    for (const entry of all) if (entry.value >= threshold) chosen[entry.l].add(entry.h);
  };
  pick(scores.echo, ratios.echoRatio);
  pick(scores.induction, ratios.inductionRatio);
  return Array.from({ length: layers }, (_, l) => [...chosen[l]].sort((a, b) => a - b));
}
