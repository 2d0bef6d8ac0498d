import { describe, expect, it } from 'vitest';
import { attention } from '../src/attention';
import { blockSparseAttention } from '../src/attention-block-sparse';
import { blockSparseDensity, createBlockSparseLayout } from '../src/attention-block-sparse-layout';
import type { AttentionInput, BlockSparseLayout } from '../src/attention-types';
import { isKernelError } from '../src/errors';
import { blockSparseAttentionReference, blockSparseMask } from '../src/reference/attention-block-sparse';
import { attentionReference } from '../src/reference/attention-dense';
import { expectClose, kernelsFor, randomFloats, randomInt, seeded, testedIsas } from './kernel-tester';

const tolerance = { absolute: 1e-5, relative: 1e-4 };

function randomInput(
  random: () => number,
  numHeads: number,
  numKvHeads: number,
  queryLength: number,
  kvLength: number,
  headDim: number,
): AttentionInput {
  return {
    query: randomFloats(random, numHeads * queryLength * headDim),
    key: randomFloats(random, numKvHeads * kvLength * headDim),
    value: randomFloats(random, numKvHeads * kvLength * headDim),
    numHeads,
    numKvHeads,
    queryLength,
    kvLength,
    headDim,
  };
}

function randomKeep(random: () => number, count: number, density: number): Uint8Array {
  return Uint8Array.from({ length: count }, () => (random() < density ? 1 : 0));
}

function rowOf(layout: BlockSparseLayout, row: number): number[] {
  return Array.from(layout.keyBlocks.subarray(layout.rowOffsets[row], layout.rowOffsets[row + 1]));
}

describe('createBlockSparseLayout', () => {
  it('lists always-kept key blocks first, keeps always-kept query rows dense and drops future blocks when causal', () => {
    const keep = new Uint8Array(4 * 4);
    keep[1 * 4 + 2] = 1; // query block 1 keeps key block 2
    const layout = createBlockSparseLayout({
      queryLength: 16,
      kvLength: 16,
      blockSizeQuery: 4,
      blockSizeKey: 4,
      keep,
      alwaysKeptKeys: [[13, 15]],
      alwaysKeptQueries: [[0, 1]],
    });
    expect(rowOf(layout, 0)).toEqual([3, 0, 1, 2]);
    expect(rowOf(layout, 1)).toEqual([3, 2]);
    expect(rowOf(layout, 2)).toEqual([3]);
    const causal = createBlockSparseLayout({
      queryLength: 16,
      kvLength: 16,
      blockSizeQuery: 4,
      blockSizeKey: 4,
      keep,
      alwaysKeptKeys: [[0, 1]],
      alwaysKeptQueries: [[8, 9]],
      causal: true,
    });
    expect(rowOf(causal, 0)).toEqual([0]);
    expect(rowOf(causal, 1)).toEqual([0]);
    expect(rowOf(causal, 2)).toEqual([0, 1, 2]);
    expect(rowOf(causal, 3)).toEqual([0]);
    expect(blockSparseDensity(causal)).toBeCloseTo(6 / 16);
  });

  it('rejects token ranges outside the sequence', () => {
    expect(() =>
      createBlockSparseLayout({
        queryLength: 8,
        kvLength: 8,
        blockSizeQuery: 4,
        blockSizeKey: 4,
        keep: new Uint8Array(4),
        alwaysKeptKeys: [[6, 9]],
      }),
    ).toThrow(/alwaysKeptKeys\[0\]/);
  });
});

describe('blockSparseAttentionReference (the twin)', () => {
  it('equals dense attention when every block is kept', () => {
    const random = seeded(1);
    const input = randomInput(random, 2, 1, 10, 13, 4);
    const layout = createBlockSparseLayout({
      queryLength: 10,
      kvLength: 13,
      blockSizeQuery: 3,
      blockSizeKey: 5,
      keep: new Uint8Array(4 * 3).fill(1),
    });
    expectClose(blockSparseAttentionReference(input, layout), attentionReference(input), tolerance);
  });

  it('is the dense softmax restricted to the kept keys (mask expansion)', () => {
    const keep = new Uint8Array([1, 0, 0, 1]);
    const layout = createBlockSparseLayout({
      queryLength: 4,
      kvLength: 3,
      blockSizeQuery: 2,
      blockSizeKey: 2,
      keep,
    });
    expect(Array.from(blockSparseMask(layout, { numHeads: 1, queryLength: 4, kvLength: 3 }))).toEqual([
      1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1,
    ]);
  });
});

describe.each(testedIsas)('blockSparseAttention wasm (%s)', (isa) => {
  it('matches the twin on random layouts, per-head layouts, partial blocks, GQA, causal', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(10);
    for (let trial = 0; trial < 10; trial++) {
      const numKvHeads = randomInt(random, 1, 2);
      const numHeads = numKvHeads * randomInt(random, 1, 3);
      const queryLength = randomInt(random, 1, 150);
      const kvLength = queryLength + randomInt(random, 0, 60);
      const headDim = randomInt(random, 1, 72);
      const blockSizeQuery = [1, 7, 16, 64, 40][trial % 5];
      const blockSizeKey = [1, 16, 13, 64, 32][(trial + 2) % 5];
      const perHead = trial % 2 === 0;
      const nqb = Math.ceil(queryLength / blockSizeQuery);
      const nkb = Math.ceil(kvLength / blockSizeKey);
      const causal = trial % 3 === 0;
      const layout = createBlockSparseLayout({
        queryLength,
        kvLength,
        blockSizeQuery,
        blockSizeKey,
        keep: randomKeep(random, (perHead ? numHeads : 1) * nqb * nkb, 0.3),
        alwaysKeptKeys: [[0, Math.min(4, kvLength)]],
        causal,
      });
      const input = randomInput(random, numHeads, numKvHeads, queryLength, kvLength, headDim);
      expectClose(
        blockSparseAttention(kernels, input, layout, { causal }),
        blockSparseAttentionReference(input, layout, { causal }),
        tolerance,
      );
    }
  });

  it('equals the dense kernel when every block is kept, whatever the block order', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(12);
    const input = randomInput(random, 4, 2, 75, 75, 24);
    const layout = createBlockSparseLayout({
      queryLength: 75,
      kvLength: 75,
      blockSizeQuery: 16,
      blockSizeKey: 16,
      keep: new Uint8Array(5 * 5).fill(1),
    });
    const reversed = { ...layout, keyBlocks: layout.keyBlocks.slice() };
    for (let row = 0; row < 5; row++)
      reversed.keyBlocks.subarray(layout.rowOffsets[row], layout.rowOffsets[row + 1]).reverse();
    const dense = attention(kernels, input, { causal: true });
    expectClose(blockSparseAttention(kernels, input, layout, { causal: true }), dense, tolerance);
    expectClose(blockSparseAttention(kernels, input, reversed, { causal: true }), dense, tolerance);
  });

  it('gives zeros to a query block with no kept key block', async () => {
    const kernels = await kernelsFor(isa);
    const input = randomInput(seeded(11), 1, 1, 8, 8, 8);
    const layout = createBlockSparseLayout({
      queryLength: 8,
      kvLength: 8,
      blockSizeQuery: 4,
      blockSizeKey: 4,
      keep: new Uint8Array([1, 0, 0, 0]),
    });
    const out = blockSparseAttention(kernels, input, layout);
    expect(out.subarray(32).every((x) => x === 0)).toBe(true);
    expectClose(out, blockSparseAttentionReference(input, layout), tolerance);
  });
});

describe('blockSparseAttention bad layouts', () => {
  const input = randomInput(seeded(20), 2, 1, 8, 8, 4);
  const good = createBlockSparseLayout({
    queryLength: 8,
    kvLength: 8,
    blockSizeQuery: 4,
    blockSizeKey: 4,
    keep: new Uint8Array(4).fill(1),
  });
  const cases: Array<[string, BlockSparseLayout, string, string]> = [
    [
      'block out of range',
      { ...good, keyBlocks: Int32Array.from([0, 1, 0, 2]) },
      'KERNEL_INVALID_ARGUMENT',
      'layout.keyBlocks',
    ],
    [
      'block twice in a row',
      { ...good, keyBlocks: Int32Array.from([1, 1, 0, 1]) },
      'KERNEL_INVALID_ARGUMENT',
      'layout.keyBlocks',
    ],
    [
      'offsets past the list',
      { ...good, rowOffsets: Int32Array.from([0, 2, 5]) },
      'KERNEL_INVALID_ARGUMENT',
      'layout.rowOffsets',
    ],
    [
      'offsets decreasing',
      { ...good, rowOffsets: Int32Array.from([0, 3, 2]), keyBlocks: Int32Array.from([0, 1]) },
      'KERNEL_INVALID_ARGUMENT',
      'layout.rowOffsets',
    ],
    ['wrong block count', { ...good, numKeyBlocks: 3 }, 'KERNEL_SHAPE_MISMATCH', 'layout.numKeyBlocks'],
    ['wrong layout heads', { ...good, layoutHeads: 3 }, 'KERNEL_SHAPE_MISMATCH', 'layout.layoutHeads'],
  ];
  it.each(cases)('%s', async (_, layout, code, argument) => {
    const kernels = await kernelsFor(testedIsas[0]);
    for (const run of [
      () => blockSparseAttention(kernels, input, layout),
      () => blockSparseAttentionReference(input, layout),
    ]) {
      let caught: unknown;
      try {
        run();
      } catch (error) {
        caught = error;
      }
      expect(isKernelError(caught)).toBe(true);
      expect((caught as { code: string }).code).toBe(code);
      expect((caught as { details: { argument: string } }).details.argument).toBe(argument);
    }
  });
});
