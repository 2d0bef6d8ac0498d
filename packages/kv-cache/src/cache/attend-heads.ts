import { attention, type Kernels } from '@x/kernels-wasm';
import type { KvQueries } from '../policy/types';
import type { HeadStore } from './head-store';

/**
 * Causal attention of `queries` over a `HeadStore`, one kernel call per KV head (the GQA group of query heads
 * `g·group .. (g+1)·group-1` reads KV head g), so heads may hold different lengths and no K/V copy is made on the
 * JS side. The new rows are the last slots of every head, so the kernels' bottom-right causal alignment is the
 * position order.
 */
export function attendHeads(
  kernels: Kernels,
  store: HeadStore,
  queries: KvQueries,
  numHeads: number,
): Float32Array {
  const { queryLength, scale } = queries;
  const d = store.headDim;
  const group = numHeads / store.numKvHeads;
  const output = new Float32Array(numHeads * queryLength * d);
  const block = group * queryLength * d;
  for (let g = 0; g < store.numKvHeads; g++) {
    attention(
      kernels,
      {
        query: queries.query.subarray(g * block, (g + 1) * block),
        key: store.key(g),
        value: store.value(g),
        numHeads: group,
        numKvHeads: 1,
        queryLength,
        kvLength: store.length(g),
        headDim: d,
      },
      { scale, causal: true, output: output.subarray(g * block, (g + 1) * block) },
    );
  }
  return output;
}
