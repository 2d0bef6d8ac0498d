/**
 * Builds the CSR list of kept key blocks that block-sparse attention consumes, from a block mask
 * plus always-kept rows and columns. Always-kept columns (attention sinks, the first frame, text
 * tokens: RainFusion 2.0 arXiv 2512.24086 section 3, SpargeAttn arXiv 2502.18137) are listed first in
 * every row, so the online softmax's running max starts from the high-mass keys (the brief's
 * section 8, shared/reference/sparse-attn-kernels.md). Always-kept rows attend to every key block.
 */
import type { BlockSparseLayout } from './attention-types';
import { checkArray, checkCount } from './attention-validate';
import { KernelError } from './errors';

const KERNEL = 'createBlockSparseLayout';

/** A half-open token range `[start, end)`. */
export type TokenRange = readonly [start: number, end: number];

export interface BlockSparseLayoutOptions {
  queryLength: number;
  kvLength: number;
  blockSizeQuery: number;
  blockSizeKey: number;
  /**
   * Kept blocks `[layoutHeads, numQueryBlocks, numKeyBlocks]`, nonzero = keep, with
   * `numQueryBlocks = ceil(queryLength / blockSizeQuery)` and `numKeyBlocks = ceil(kvLength / blockSizeKey)`.
   * `layoutHeads` (1, or the number of heads) follows from the length.
   */
  keep: Uint8Array;
  /** Key tokens every query sees (sinks, first frame, text): their blocks are kept in every row, first. */
  alwaysKeptKeys?: readonly TokenRange[];
  /** Query tokens that see every key (first frame, text): their blocks keep every key block. */
  alwaysKeptQueries?: readonly TokenRange[];
  /**
   * Drop key blocks lying wholly after the last key a query block may see under the bottom-right
   * causal mask (the kernel's `causal` option still masks inside the diagonal blocks).
   * @defaultValue false
   */
  causal?: boolean;
}

function blocksOf(
  argument: string,
  ranges: readonly TokenRange[] | undefined,
  length: number,
  blockSize: number,
): Uint8Array {
  const count = Math.ceil(length / blockSize);
  const marked = new Uint8Array(count);
  for (const [index, range] of (ranges ?? []).entries()) {
    const [start, end] = range;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > length || start > end) {
      throw new KernelError(
        'KERNEL_INVALID_ARGUMENT',
        `${KERNEL}: ${argument}[${index}] = [${start}, ${end}) is not inside [0, ${length}]`,
        {
          details: { kernel: KERNEL, argument: `${argument}[${index}]`, start, end, length },
        },
      );
    }
    for (let b = Math.floor(start / blockSize); b * blockSize < end; b++) marked[b] = 1;
  }
  return marked;
}

/** The CSR layout of a block mask with always-kept rows and columns. */
export function createBlockSparseLayout(options: BlockSparseLayoutOptions): BlockSparseLayout {
  const { queryLength, kvLength, blockSizeQuery, blockSizeKey, keep } = options;
  checkCount(KERNEL, 'queryLength', queryLength);
  checkCount(KERNEL, 'kvLength', kvLength);
  checkCount(KERNEL, 'blockSizeQuery', blockSizeQuery);
  checkCount(KERNEL, 'blockSizeKey', blockSizeKey);
  const numQueryBlocks = Math.ceil(queryLength / blockSizeQuery);
  const numKeyBlocks = Math.ceil(kvLength / blockSizeKey);
  const plane = numQueryBlocks * numKeyBlocks;
  const layoutHeads =
    keep instanceof Uint8Array && keep.length > 0 ? Math.max(1, Math.round(keep.length / plane)) : 1;
  checkArray(KERNEL, 'keep', keep, 'Uint8Array', layoutHeads * plane);
  const keptKeys = blocksOf('alwaysKeptKeys', options.alwaysKeptKeys, kvLength, blockSizeKey);
  const keptQueries = blocksOf('alwaysKeptQueries', options.alwaysKeptQueries, queryLength, blockSizeQuery);
  const causal = options.causal ?? false;
  const rowOffsets = new Int32Array(layoutHeads * numQueryBlocks + 1);
  const entries: number[] = [];
  for (let head = 0; head < layoutHeads; head++) {
    for (let b = 0; b < numQueryBlocks; b++) {
      const lastQuery = Math.min(queryLength, (b + 1) * blockSizeQuery) - 1;
      const lastBlock = causal
        ? Math.min(numKeyBlocks - 1, Math.floor((lastQuery + kvLength - queryLength) / blockSizeKey))
        : numKeyBlocks - 1;
      const base = (head * numQueryBlocks + b) * numKeyBlocks;
      for (let c = 0; c <= lastBlock; c++) if (keptKeys[c]) entries.push(c);
      for (let c = 0; c <= lastBlock; c++) {
        if (!keptKeys[c] && (keptQueries[b] || keep[base + c] !== 0)) entries.push(c);
      }
      rowOffsets[head * numQueryBlocks + b + 1] = entries.length;
    }
  }
  return {
    blockSizeQuery,
    blockSizeKey,
    numQueryBlocks,
    numKeyBlocks,
    layoutHeads,
    rowOffsets,
    keyBlocks: Int32Array.from(entries),
  };
}

/** Fraction of (head, query block, key block) triples a layout keeps. */
export function blockSparseDensity(layout: BlockSparseLayout): number {
  return layout.keyBlocks.length / (layout.layoutHeads * layout.numQueryBlocks * layout.numKeyBlocks);
}
