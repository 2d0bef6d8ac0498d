import { XError } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { MASK_MIN } from './build-decomposed';
import { type DecoderConfig, validateDecoderConfig } from './decoder-config';
import { type DecoderWeights, validateDecoderWeights } from './decoder-weights';
import { computeInverseFrequencies } from './rotary';

/** One layer's cache, `[batch, numKvHeads, length, headDim]` each (Optimum `past_key_values.{i}` / `present.{i}`). */
export interface ReferenceKv {
  key: Tensor<'float32'>;
  value: Tensor<'float32'>;
}

export interface ReferenceForwardOptions {
  /**
   * Absolute RoPE positions `[batch][seq]`.
   * @defaultValue `past + i` for token i of every row
   */
  positionIds?: readonly (readonly number[])[];
  /**
   * Per-layer past keys/values (post-RoPE, as the graphs' `present` outputs hold them).
   * @defaultValue no past (length 0)
   */
  past?: readonly ReferenceKv[];
  /**
   * `[batch][past + seq]` of 0/1, the Optimum `attention_mask`; a 0 hides that key from every query.
   * @defaultValue all ones
   */
  attentionMask?: readonly (readonly number[])[];
}

export interface ReferenceForwardResult {
  /** `[batch, seq, vocab]`. */
  logits: Tensor<'float32'>;
  /** Per layer, `[batch, numKvHeads, past + seq, headDim]`. */
  present: ReferenceKv[];
}

/**
 * A plain, readable forward pass of HF `LlamaForCausalLM` (Touvron et al. 2023, arXiv 2302.13971: RMSNorm
 * pre-norm, RoPE, SwiGLU; GQA per Ainslie et al. 2023, arXiv 2305.13245), the oracle the ONNX graphs are tested
 * against. Every sum, norm and softmax accumulates in float64 (JS numbers) from the float32 weights; outputs are
 * rounded to float32 once. The mask matches the decomposed graph: key j is visible to query i when
 * `j ≤ past + i` and `attentionMask[b][j] = 1`, otherwise its score gets float32-lowest added (a fully masked row
 * becomes uniform, as in ONNX).
 *
 * Errors: `X_INVALID_ARGUMENT` (token id out of range, ragged rows), `X_SHAPE_MISMATCH` (past, mask, positions).
 */
export function referenceForward(
  config: DecoderConfig,
  weights: DecoderWeights,
  inputIds: readonly (readonly number[])[],
  options: ReferenceForwardOptions = {},
): ReferenceForwardResult {
  validateDecoderConfig(config, 'referenceForward');
  validateDecoderWeights(config, weights, 'referenceForward');
  const { hiddenSize: hidden, numHeads, numKvHeads, headDim, intermediateSize, vocabSize } = config;
  const batch = inputIds.length;
  const seq = batch > 0 ? inputIds[0].length : 0;
  if (batch === 0 || seq === 0 || inputIds.some((row) => row.length !== seq)) {
    throw new XError(
      'X_INVALID_ARGUMENT',
      'referenceForward: inputIds must be a non-empty rectangular [batch][seq] array',
      {
        details: { argument: 'inputIds' },
      },
    );
  }
  const pastLength = resolvePastLength(config, options.past, batch);
  const total = pastLength + seq;
  const mask = options.attentionMask ?? inputIds.map(() => new Array<number>(total).fill(1));
  checkRows(mask, batch, total, 'attentionMask');
  const positions = options.positionIds ?? inputIds.map((row) => row.map((_, i) => pastLength + i));
  checkRows(positions, batch, seq, 'positionIds');

  // Residual stream h[b][s] : Float64Array(hidden).
  const h: Float64Array[][] = inputIds.map((row) =>
    row.map((id) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new XError(
          'X_INVALID_ARGUMENT',
          `referenceForward: token id ${id} is outside [0, ${vocabSize})`,
          {
            details: { argument: 'inputIds', value: id },
          },
        );
      }
      return Float64Array.from(weights.embedTokens.subarray(id * hidden, (id + 1) * hidden));
    }),
  );

  const inverseFrequencies = computeInverseFrequencies(config);
  const groups = numHeads / numKvHeads;
  const scale = 1 / Math.sqrt(headDim);
  const present: ReferenceKv[] = [];

  for (let layer = 0; layer < config.numLayers; layer++) {
    const lw = weights.layers[layer];
    const keys = new Float32Array(batch * numKvHeads * total * headDim);
    const values = new Float32Array(keys.length);
    const at = (b: number, head: number, t: number): number =>
      ((b * numKvHeads + head) * total + t) * headDim;
    const past = options.past?.[layer];
    for (let b = 0; b < batch; b++) {
      for (let head = 0; head < numKvHeads; head++) {
        for (let t = 0; t < pastLength; t++) {
          const from = ((b * numKvHeads + head) * pastLength + t) * headDim;
          keys.set(past?.key.data.subarray(from, from + headDim) ?? [], at(b, head, t));
          values.set(past?.value.data.subarray(from, from + headDim) ?? [], at(b, head, t));
        }
      }
    }

    const queries: Float64Array[][] = [];
    for (let b = 0; b < batch; b++) {
      queries.push([]);
      for (let s = 0; s < seq; s++) {
        const x = rmsNorm(h[b][s], lw.inputNorm, config.rmsNormEps);
        const angles = inverseFrequencies.map((f) => positions[b][s] * f);
        const q = linear(x, lw.qProj, numHeads * headDim);
        const k = linear(x, lw.kProj, numKvHeads * headDim);
        const v = linear(x, lw.vProj, numKvHeads * headDim);
        for (let head = 0; head < numHeads; head++) rope(q, head * headDim, headDim, angles);
        for (let head = 0; head < numKvHeads; head++) {
          rope(k, head * headDim, headDim, angles);
          keys.set(k.subarray(head * headDim, (head + 1) * headDim), at(b, head, pastLength + s));
          values.set(v.subarray(head * headDim, (head + 1) * headDim), at(b, head, pastLength + s));
        }
        queries[b].push(q);
      }
    }

    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < seq; s++) {
        const context = new Float64Array(numHeads * headDim);
        const scores = new Float64Array(total);
        for (let head = 0; head < numHeads; head++) {
          const kvHead = Math.floor(head / groups); // repeat_kv: query head h reads kv head h / groups
          let max = -Infinity;
          for (let t = 0; t < total; t++) {
            let dot = 0;
            const k = at(b, kvHead, t);
            for (let d = 0; d < headDim; d++) dot += queries[b][s][head * headDim + d] * keys[k + d];
            const visible = t <= pastLength + s && mask[b][t] === 1;
            scores[t] = dot * scale + (visible ? 0 : MASK_MIN);
            if (scores[t] > max) max = scores[t];
          }
          let sum = 0;
          for (let t = 0; t < total; t++) {
            scores[t] = Math.exp(scores[t] - max);
            sum += scores[t];
          }
          for (let t = 0; t < total; t++) {
            const p = scores[t] / sum;
            const v = at(b, kvHead, t);
            for (let d = 0; d < headDim; d++) context[head * headDim + d] += p * values[v + d];
          }
        }
        addInto(h[b][s], linear(context, lw.oProj, hidden));
      }
    }

    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < seq; s++) {
        const x = rmsNorm(h[b][s], lw.postAttentionNorm, config.rmsNormEps);
        const gate = linear(x, lw.gateProj, intermediateSize);
        const up = linear(x, lw.upProj, intermediateSize);
        // SwiGLU (Shazeer 2020, arXiv 2002.05202): silu(gate) * up, silu(z) = z * sigmoid(z).
        for (let i = 0; i < intermediateSize; i++) gate[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
        addInto(h[b][s], linear(gate, lw.downProj, hidden));
      }
    }
    const dims = [batch, numKvHeads, total, headDim];
    present.push({
      key: { dtype: 'float32', dims, data: keys },
      value: { dtype: 'float32', dims: [...dims], data: values },
    });
  }

  const head = weights.lmHead ?? weights.embedTokens;
  const logits = new Float32Array(batch * seq * vocabSize);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      logits.set(
        linear(rmsNorm(h[b][s], weights.finalNorm, config.rmsNormEps), head, vocabSize),
        (b * seq + s) * vocabSize,
      );
    }
  }
  return { logits: { dtype: 'float32', dims: [batch, seq, vocabSize], data: logits }, present };
}

/** RMSNorm (Zhang & Sennrich 2019, arXiv 1910.07467): `x / sqrt(mean(x²) + eps) * w`. */
function rmsNorm(x: Float64Array, weight: Float32Array, eps: number): Float64Array {
  let sumSquares = 0;
  for (let i = 0; i < x.length; i++) sumSquares += x[i] * x[i];
  const inverse = 1 / Math.sqrt(sumSquares / x.length + eps);
  return x.map((value, i) => value * inverse * weight[i]);
}

/** `y = W x` for an `[out, in]` row-major weight. */
function linear(x: Float64Array, weight: Float32Array, out: number): Float64Array {
  const inFeatures = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let sum = 0;
    const row = o * inFeatures;
    for (let i = 0; i < inFeatures; i++) sum += weight[row + i] * x[i];
    y[o] = sum;
  }
  return y;
}

/** RoPE with HF `rotate_half` (halves, not interleaved pairs): `x·cos + [-x2, x1]·sin`, in place. */
function rope(x: Float64Array, offset: number, headDim: number, angles: Float64Array): void {
  const half = headDim / 2;
  for (let i = 0; i < half; i++) {
    const a = x[offset + i];
    const b = x[offset + half + i];
    const cos = Math.cos(angles[i]);
    const sin = Math.sin(angles[i]);
    x[offset + i] = a * cos - b * sin;
    x[offset + half + i] = b * cos + a * sin;
  }
}

function addInto(target: Float64Array, delta: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] += delta[i];
}

function checkRows(
  rows: readonly (readonly number[])[],
  batch: number,
  length: number,
  option: string,
): void {
  if (rows.length !== batch || rows.some((row) => row.length !== length)) {
    throw new XError(
      'X_SHAPE_MISMATCH',
      `referenceForward: options.${option} must be [${batch}][${length}]`,
      {
        details: { option, expected: [batch, length] },
      },
    );
  }
}

function resolvePastLength(
  config: DecoderConfig,
  past: readonly ReferenceKv[] | undefined,
  batch: number,
): number {
  if (past === undefined) return 0;
  if (past.length !== config.numLayers) {
    throw new XError(
      'X_SHAPE_MISMATCH',
      `referenceForward: options.past has ${past.length} layers, expected ${config.numLayers}`,
      {
        details: { option: 'past' },
      },
    );
  }
  const length = past[0].key.dims[2];
  past.forEach((entry, layer) => {
    for (const tensor of [entry.key, entry.value]) {
      const [b, heads, t, d] = tensor.dims;
      if (
        tensor.dims.length !== 4 ||
        b !== batch ||
        heads !== config.numKvHeads ||
        t !== length ||
        d !== config.headDim
      ) {
        throw new XError(
          'X_SHAPE_MISMATCH',
          `referenceForward: options.past[${layer}] dims [${tensor.dims.join(', ')}] must be [${batch}, ${config.numKvHeads}, ${length}, ${config.headDim}]`,
          { details: { option: 'past', layer } },
        );
      }
    }
  });
  return length;
}
