/**
 * Rotary position embedding (Su et al. 2021, RoFormer, arXiv 2104.09864) on head-major rows, from per-token
 * half tables `cos/sin [count, headDim/2]` (angle of pair i at that token's position):
 * rotate-half layout (HF Llama): pair (i, i + D/2); interleaved layout (GPT-J): pair (2i, 2i+1);
 * `x'_a = x_a·cos − x_b·sin`, `x'_b = x_b·cos + x_a·sin`. In place on `[heads, count, headDim]`.
 */
export function applyRope(
  rows: Float32Array,
  heads: number,
  count: number,
  headDim: number,
  cos: Float32Array,
  sin: Float32Array,
  interleaved: boolean,
): void {
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < count; t++) {
      const base = (h * count + t) * headDim;
      for (let i = 0; i < half; i++) {
        const c = cos[t * half + i];
        const s = sin[t * half + i];
        const a = interleaved ? base + 2 * i : base + i;
        const b = interleaved ? a + 1 : a + half;
        const xa = rows[a];
        const xb = rows[b];
        rows[a] = xa * c - xb * s;
        rows[b] = xb * c + xa * s;
      }
    }
  }
}

/** `[count, heads·headDim]` token-major (a projection's output) to `[heads, count, headDim]` head-major. */
export function toHeadMajor(rows: Float32Array, heads: number, count: number, headDim: number): Float32Array {
  const out = new Float32Array(heads * count * headDim);
  for (let t = 0; t < count; t++) {
    for (let h = 0; h < heads; h++) {
      const from = (t * heads + h) * headDim;
      out.set(rows.subarray(from, from + headDim), (h * count + t) * headDim);
    }
  }
  return out;
}

/** `[heads, count, headDim]` back to `[count, heads·headDim]`. */
export function toTokenMajor(
  rows: Float32Array,
  heads: number,
  count: number,
  headDim: number,
): Float32Array {
  const out = new Float32Array(heads * count * headDim);
  for (let h = 0; h < heads; h++) {
    for (let t = 0; t < count; t++) {
      const from = (h * count + t) * headDim;
      out.set(rows.subarray(from, from + headDim), (t * heads + h) * headDim);
    }
  }
  return out;
}

/**
 * Half tables `[count, headDim/2]` from a graph's full-width cos/sin values (last dims `[count, headDim]`):
 * rotate-half tables repeat the halves (`cat(freqs, freqs)`), interleaved ones repeat each entry.
 */
export function halfTable(
  full: Float32Array,
  count: number,
  headDim: number,
  interleaved: boolean,
): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(count * half);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < half; i++) out[t * half + i] = full[t * headDim + (interleaved ? 2 * i : i)];
  }
  return out;
}

/** Half tables for positions `start..start+count-1` from a `[maxPositions, headDim/2]` cache (GQA/RotaryEmbedding). */
export function gatherTable(cache: Float32Array, half: number, start: number, count: number): Float32Array {
  return cache.slice(start * half, (start + count) * half);
}
