/**
 * Attention benchmarks (issue 4, part 2), one thread, one process, JSON lines, every row timed
 * interleaved with its baseline (the machine is shared: rows are medians of 9 alternating samples).
 *
 * - `attention-dense`: our dense kernel vs onnxruntime-web on the same inputs, two ORT graphs:
 *   com.microsoft MultiHeadAttention and the decomposed Transpose/MatMul/Mul/Softmax/MatMul graph.
 *   Target: ours no slower than onnxruntime-web.
 * - `attention-causal`: causal GQA prefill vs onnxruntime-web GroupQueryAttention (empty past) and the
 *   decomposed graph with an additive causal mask (K/V repeated per query head). The decomposed graph
 *   computes every masked score too; our kernel and GQA skip the tiles above the diagonal.
 * - `attention-block-sparse`: 4096 tokens, head dim 64, 80% of 64x64 blocks skipped (block 0 kept
 *   as a sink) vs our dense kernel on the same inputs. Target: >= 4x.
 * - `attention-kivi-decode`: one decode token at 4k context, 32 query / 8 KV heads, head dim 128, KIVI
 *   G = 32, R = 128, cache resident in the kernels' memory, vs our dense fp32 decode with K/V resident,
 *   plus onnxruntime-web GroupQueryAttention (which copies the fp32 past in on every run). Target:
 *   4-bit no slower than fp32 dense decode while holding <= 1/4 of its bytes.
 *
 * FLOPs counted as 4 * rows * keys * headDim (QK^T and PV, no exp; causal: the visible pairs only). GB/s = KV bytes read / time.
 */
import { attention } from '../src/attention';
import { blockSparseAttention } from '../src/attention-block-sparse';
import { blockSparseDensity, createBlockSparseLayout } from '../src/attention-block-sparse-layout';
import { kiviAttention, uploadKiviCache } from '../src/attention-kivi';
import { type KiviBits, kiviCacheBytes } from '../src/attention-kivi-cache';
import { loadKernels } from '../src/load';
import { packKiviCache } from '../src/reference/attention-kivi-pack';
import {
  createOrtWebRunner,
  decomposedAttentionModel,
  groupQueryAttentionModel,
  multiHeadAttentionModel,
} from './attention-ort';
import { emit, timeInterleaved } from './timing';

function sines(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++)
    out[i] = Math.sin(i * 0.7548776662 + seed * 1.3) * Math.cos(i * 0.0131 + seed);
  return out;
}

/** [N, S, H] -> [1, S, N*H] (MultiHeadAttention's packed BSNH layout). */
function toBsnh(x: Float32Array, heads: number, length: number, headDim: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let h = 0; h < heads; h++)
    for (let t = 0; t < length; t++)
      out.set(
        x.subarray((h * length + t) * headDim, (h * length + t + 1) * headDim),
        (t * heads + h) * headDim,
      );
  return out;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const gflops = (flop: number, ms: number) => +(flop / ms / 1e6).toFixed(2);

export async function benchAttentionDense(): Promise<void> {
  const kernels = await loadKernels({ isa: 'simd' });
  for (const [numHeads, length, headDim] of [
    [4, 1024, 64],
    [8, 512, 128],
    [2, 2048, 64],
  ] as const) {
    const query = sines(numHeads * length * headDim, 1);
    const key = sines(numHeads * length * headDim, 2);
    const value = sines(numHeads * length * headDim, 3);
    const input = {
      query,
      key,
      value,
      numHeads,
      numKvHeads: numHeads,
      queryLength: length,
      kvLength: length,
      headDim,
    };
    const dims = [numHeads, length, headDim];
    const decomposed = await createOrtWebRunner(decomposedAttentionModel(numHeads, length, length, headDim), {
      Q: { data: query, dims },
      K: { data: key, dims },
      V: { data: value, dims },
    });
    const packed = [1, length, numHeads * headDim];
    const mha = await createOrtWebRunner(multiHeadAttentionModel(numHeads, length, length, headDim), {
      Q: { data: toBsnh(query, numHeads, length, headDim), dims: packed },
      K: { data: toBsnh(key, numHeads, length, headDim), dims: packed },
      V: { data: toBsnh(value, numHeads, length, headDim), dims: packed },
    });
    const ours = attention(kernels, input);
    const difference = Math.max(
      maxDifference(ours, await decomposed.run()),
      maxDifference(toBsnh(ours, numHeads, length, headDim), await mha.run()),
    );
    const times = await timeInterleaved(
      { ours: () => attention(kernels, input), mha: () => mha.run(), decomposed: () => decomposed.run() },
      { warmup: 1, repeats: 9 },
    );
    const flop = 4 * numHeads * length * length * headDim;
    emit({
      bench: 'attention-dense',
      shape: `heads ${numHeads}, q ${length}, kv ${length}, d ${headDim}`,
      causal: false,
      threads: 1,
      ms: +times.ours.toFixed(3),
      gflops: gflops(flop, times.ours),
      ortWebMhaMs: +times.mha.toFixed(3),
      ortWebMhaGflops: gflops(flop, times.mha),
      ortWebDecomposedMs: +times.decomposed.toFixed(3),
      ortWebDecomposedGflops: gflops(flop, times.decomposed),
      speedupVsOrtWebMha: +(times.mha / times.ours).toFixed(2),
      speedupVsOrtWebDecomposed: +(times.decomposed / times.ours).toFixed(2),
      maxAbsDifferenceVsOrt: difference,
    });
    await decomposed.release();
    await mha.release();
  }
}

/** Causal GQA prefill vs onnxruntime-web GroupQueryAttention (empty past) on the same inputs. */
export async function benchAttentionCausal(): Promise<void> {
  const kernels = await loadKernels({ isa: 'simd' });
  for (const [numHeads, numKvHeads, length, headDim] of [
    [8, 2, 1024, 64],
    [4, 4, 2048, 64],
  ] as const) {
    const query = sines(numHeads * length * headDim, 11);
    const key = sines(numKvHeads * length * headDim, 12);
    const value = sines(numKvHeads * length * headDim, 13);
    const input = { query, key, value, numHeads, numKvHeads, queryLength: length, kvLength: length, headDim };
    const gqa = await createOrtWebRunner(groupQueryAttentionModel(numHeads, numKvHeads, length, 0, headDim), {
      Q: { data: toBsnh(query, numHeads, length, headDim), dims: [1, length, numHeads * headDim] },
      K: { data: toBsnh(key, numKvHeads, length, headDim), dims: [1, length, numKvHeads * headDim] },
      V: { data: toBsnh(value, numKvHeads, length, headDim), dims: [1, length, numKvHeads * headDim] },
      past_key: { data: new Float32Array(0), dims: [1, numKvHeads, 0, headDim] },
      past_value: { data: new Float32Array(0), dims: [1, numKvHeads, 0, headDim] },
      seqlens_k: { data: Int32Array.from([length - 1]), dims: [1] },
      total_sequence_length: { data: Int32Array.from([length]), dims: [] },
    });
    // The decomposed graph has no GQA: it gets K/V repeated to every query head (what a torch export does).
    const group = numHeads / numKvHeads;
    const repeat = (x: Float32Array) => {
      const out = new Float32Array(numHeads * length * headDim);
      for (let h = 0; h < numHeads; h++) {
        const g = Math.floor(h / group);
        out.set(x.subarray(g * length * headDim, (g + 1) * length * headDim), h * length * headDim);
      }
      return out;
    };
    const dims = [numHeads, length, headDim];
    const decomposed = await createOrtWebRunner(
      decomposedAttentionModel(numHeads, length, length, headDim, { causal: true }),
      {
        Q: { data: query, dims },
        K: { data: repeat(key), dims },
        V: { data: repeat(value), dims },
      },
    );
    const ours = attention(kernels, input, { causal: true });
    const difference = Math.max(
      maxDifference(toBsnh(ours, numHeads, length, headDim), await gqa.run()),
      maxDifference(ours, await decomposed.run()),
    );
    const times = await timeInterleaved(
      {
        ours: () => attention(kernels, input, { causal: true }),
        gqa: () => gqa.run(),
        decomposed: () => decomposed.run(),
      },
      { warmup: 1, repeats: 9 },
    );
    // Causal: about half the (query, key) pairs.
    const flop = 2 * numHeads * length * (length + 1) * headDim;
    emit({
      bench: 'attention-causal',
      shape: `heads ${numHeads}/${numKvHeads}, tokens ${length}, d ${headDim}`,
      causal: true,
      threads: 1,
      ms: +times.ours.toFixed(3),
      gflops: gflops(flop, times.ours),
      ortWebGqaMs: +times.gqa.toFixed(3),
      ortWebGqaGflops: gflops(flop, times.gqa),
      ortWebDecomposedMs: +times.decomposed.toFixed(3),
      ortWebDecomposedGflops: gflops(flop, times.decomposed),
      speedupVsOrtWebGqa: +(times.gqa / times.ours).toFixed(2),
      speedupVsOrtWebDecomposed: +(times.decomposed / times.ours).toFixed(2),
      maxAbsDifferenceVsOrt: difference,
    });
    await gqa.release();
    await decomposed.release();
  }
}

export async function benchAttentionBlockSparse(): Promise<void> {
  const kernels = await loadKernels({ isa: 'simd' });
  const [numHeads, length, headDim, block] = [2, 4096, 64, 64];
  const query = sines(numHeads * length * headDim, 4);
  const key = sines(numHeads * length * headDim, 5);
  const value = sines(numHeads * length * headDim, 6);
  const input = {
    query,
    key,
    value,
    numHeads,
    numKvHeads: numHeads,
    queryLength: length,
    kvLength: length,
    headDim,
  };
  const blocks = length / block;
  // Per head and query block: keep 13 of 64 key blocks (block 0 as the always-kept sink + 12 others,
  // drawn by a fixed LCG): 20.3% density, 79.7% of blocks skipped.
  const keep = new Uint8Array(numHeads * blocks * blocks);
  let state = 12345;
  for (let row = 0; row < numHeads * blocks; row++) {
    let kept = 0;
    while (kept < 12) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const c = 1 + (state % (blocks - 1));
      if (keep[row * blocks + c] === 0) {
        keep[row * blocks + c] = 1;
        kept++;
      }
    }
  }
  const layout = createBlockSparseLayout({
    queryLength: length,
    kvLength: length,
    blockSizeQuery: block,
    blockSizeKey: block,
    keep,
    alwaysKeptKeys: [[0, 1]],
  });
  const times = await timeInterleaved(
    { sparse: () => blockSparseAttention(kernels, input, layout), dense: () => attention(kernels, input) },
    { warmup: 1, repeats: 9 },
  );
  const density = blockSparseDensity(layout);
  const denseFlop = 4 * numHeads * length * length * headDim;
  emit({
    bench: 'attention-block-sparse',
    shape: `heads ${numHeads}, tokens ${length}, d ${headDim}, block ${block}x${block}`,
    threads: 1,
    density: +density.toFixed(4),
    skippedBlocks: +(1 - density).toFixed(4),
    ms: +times.sparse.toFixed(3),
    effectiveGflops: gflops(denseFlop * density, times.sparse),
    denseMs: +times.dense.toFixed(3),
    denseGflops: gflops(denseFlop, times.dense),
    speedupVsDense: +(times.dense / times.sparse).toFixed(2),
  });
}

export async function benchAttentionKiviDecode(): Promise<void> {
  const kernels = await loadKernels({ isa: 'simd' });
  const [numHeads, numKvHeads, length, headDim, residualLength] = [32, 8, 4096, 128, 128];
  const key = sines(numKvHeads * length * headDim, 7);
  const value = sines(numKvHeads * length * headDim, 8);
  const query = sines(numHeads * headDim, 9);
  const keyBuffer = kernels.alloc('float32', key.length);
  const valueBuffer = kernels.alloc('float32', value.length);
  const queryBuffer = kernels.alloc('float32', query.length);
  const output = kernels.alloc('float32', query.length);
  keyBuffer.view().set(key);
  valueBuffer.view().set(value);
  queryBuffer.view().set(query);
  const dense = {
    query: queryBuffer,
    key: keyBuffer,
    value: valueBuffer,
    numHeads,
    numKvHeads,
    queryLength: 1,
    kvLength: length,
    headDim,
  };
  const fp32Bytes = 2 * key.byteLength;
  // ORT GroupQueryAttention decode: past = the first 4095 tokens, the new token's K/V as inputs.
  const past = (x: Float32Array) => {
    const out = new Float32Array(numKvHeads * (length - 1) * headDim);
    for (let g = 0; g < numKvHeads; g++)
      out.set(
        x.subarray(g * length * headDim, (g * length + length - 1) * headDim),
        g * (length - 1) * headDim,
      );
    return out;
  };
  const last = (x: Float32Array) => {
    const out = new Float32Array(numKvHeads * headDim);
    for (let g = 0; g < numKvHeads; g++)
      out.set(x.subarray((g * length + length - 1) * headDim, (g * length + length) * headDim), g * headDim);
    return out;
  };
  const gqa = await createOrtWebRunner(
    groupQueryAttentionModel(numHeads, numKvHeads, 1, length - 1, headDim),
    {
      Q: { data: query, dims: [1, 1, numHeads * headDim] },
      K: { data: last(key), dims: [1, 1, numKvHeads * headDim] },
      V: { data: last(value), dims: [1, 1, numKvHeads * headDim] },
      past_key: { data: past(key), dims: [1, numKvHeads, length - 1, headDim] },
      past_value: { data: past(value), dims: [1, numKvHeads, length - 1, headDim] },
      seqlens_k: { data: Int32Array.from([length - 1]), dims: [1] },
      total_sequence_length: { data: Int32Array.from([length]), dims: [] },
    },
  );
  const reference = attention(kernels, dense).slice();
  const flop = 4 * numHeads * length * headDim;
  for (const bits of [4, 2, 8] as KiviBits[]) {
    const resident = uploadKiviCache(
      kernels,
      packKiviCache(key, value, { numKvHeads, kvLength: length, headDim, bits, residualLength }),
    );
    const kiviInput = () => ({ query: queryBuffer, numHeads, queryLength: 1, cache: resident.cache });
    const quantizationError = maxDifference(kiviAttention(kernels, kiviInput()), reference);
    const ortError = maxDifference(await gqa.run(), reference);
    const times = await timeInterleaved(
      {
        kivi: () => kiviAttention(kernels, kiviInput(), { output }),
        dense: () => attention(kernels, dense, { output }),
        gqa: () => gqa.run(),
      },
      { warmup: 2, repeats: 9 },
    );
    const bytes = kiviCacheBytes(resident.cache);
    emit({
      bench: 'attention-kivi-decode',
      shape: `heads ${numHeads}/${numKvHeads}, context ${length}, d ${headDim}, 1 query`,
      bits,
      groupSize: 32,
      residualLength,
      threads: 1,
      ms: +times.kivi.toFixed(3),
      cacheBytes: bytes,
      cacheGBps: +(bytes / times.kivi / 1e6).toFixed(2),
      gflops: gflops(flop, times.kivi),
      denseFp32Ms: +times.dense.toFixed(3),
      denseFp32Bytes: fp32Bytes,
      denseFp32GBps: +(fp32Bytes / times.dense / 1e6).toFixed(2),
      bytesRatio: +(bytes / fp32Bytes).toFixed(4),
      speedupVsDenseFp32: +(times.dense / times.kivi).toFixed(2),
      ortWebGqaMs: +times.gqa.toFixed(3),
      speedupVsOrtWebGqa: +(times.gqa / times.kivi).toFixed(2),
      maxAbsDifferenceVsFp32: +quantizationError.toFixed(5),
      ortGqaMaxAbsDifferenceVsOurs: ortError,
    });
    resident.free();
  }
  await gqa.release();
  for (const buffer of [keyBuffer, valueBuffer, queryBuffer, output]) buffer.free();
}
