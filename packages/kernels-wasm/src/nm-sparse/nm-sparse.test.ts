import { describe, expect, it } from 'vitest';
import {
  expectClose,
  kernelsFor,
  randomFloats,
  randomInt,
  seeded,
  testedIsas,
} from '../../test/kernel-tester';
import { f32GemmRef } from '../reference/f32-gemm.ref';
import { maskNmActivationsRef, nmSparseGemmRef } from '../reference/nm-sparse.ref';
import { compressNmWeights } from './compress-nm-weights';
import { loadNmSparse } from './load-nm-sparse';
import { maskNmActivations } from './mask-nm-activations';
import { nmSparseGemm } from './nm-sparse-gemm';

const tolerance = { absolute: 2e-5, relative: 1e-4 };

describe('compressNmWeights', () => {
  it('is exact on an already 2:4-sparse weight: the sparse twin equals the dense product', () => {
    const random = seeded(51);
    const [rows, columns, t] = [5, 16, 3];
    const dense = randomFloats(random, rows * columns);
    for (let i = 0; i < dense.length; i += 4) {
      dense[i + 1] = 0;
      dense[i + 3] = 0;
    }
    const compressed = compressNmWeights(dense, { rows, columns, kept: 2, group: 4 });
    expect(Array.from(compressed.indices.slice(0, 4))).toEqual([0, 2, 0, 2]);
    const x = randomFloats(random, t * columns);
    expectClose(
      nmSparseGemmRef(x, t, compressed),
      f32GemmRef(x, dense, { m: t, k: columns, n: rows, transposed: true }),
      tolerance,
    );
  });
});

describe.each(testedIsas)('nmSparseGemm (%s)', (isa) => {
  it('matches the twin for 2:4, 1:4, 4:8, 2:8 on random shapes and token counts', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(52);
    for (const [kept, group] of [
      [2, 4],
      [1, 4],
      [4, 8],
      [2, 8],
    ]) {
      for (const t of [1, 3, 5, 12, 17, 33]) {
        const rows = randomInt(random, 1, 20);
        const columns = group * randomInt(random, 1, 12);
        const compressed = compressNmWeights(randomFloats(random, rows * columns), {
          rows,
          columns,
          kept,
          group,
        });
        const bias = t % 2 === 1 ? randomFloats(random, rows) : undefined;
        const loaded = loadNmSparse(kernels, compressed, { bias });
        const x = randomFloats(random, t * columns);
        expectClose(
          nmSparseGemm(kernels, x, loaded, { t }),
          nmSparseGemmRef(x, t, compressed, bias),
          tolerance,
        );
        loaded.dispose();
      }
    }
  });

  it('rejects repeated or out-of-range indices and a columns count off the group', async () => {
    const kernels = await kernelsFor(isa);
    const base = { rows: 1, columns: 4, kept: 2, group: 4, values: new Float32Array(2) };
    expect(() => loadNmSparse(kernels, { ...base, indices: Uint8Array.of(1, 1) })).toThrow(
      expect.objectContaining({ code: 'KERNEL_INVALID_ARGUMENT' }),
    );
    expect(() => loadNmSparse(kernels, { ...base, indices: Uint8Array.of(0, 4) })).toThrow(
      expect.objectContaining({ code: 'KERNEL_INVALID_ARGUMENT' }),
    );
    expect(() => loadNmSparse(kernels, { ...base, columns: 6, indices: Uint8Array.of(0, 1) })).toThrow(
      expect.objectContaining({ code: 'KERNEL_SHAPE_MISMATCH' }),
    );
  });
});

describe('maskNmActivations', () => {
  it('matches the twin, keeps exactly `kept` per group, with and without a channel scale', async () => {
    const kernels = await kernelsFor('simd');
    const random = seeded(53);
    for (const [kept, group] of [
      [2, 4],
      [4, 8],
      [8, 16],
    ]) {
      const [rows, columns] = [3, group * 5];
      const x = randomFloats(random, rows * columns);
      const scale = Float32Array.from({ length: columns }, () => random() + 0.1);
      for (const s of [undefined, scale]) {
        const masked = maskNmActivations(kernels, x, { rows, columns, kept, group, scale: s });
        expect(Array.from(masked)).toEqual(
          Array.from(maskNmActivationsRef(x, { rows, columns, kept, group }, s)),
        );
        for (let g = 0; g < rows * columns; g += group) {
          expect(masked.subarray(g, g + group).filter((v) => v !== 0).length).toBe(kept);
        }
      }
    }
  });

  it('keeps the lower index on ties', async () => {
    const kernels = await kernelsFor('simd');
    const masked = maskNmActivations(kernels, Float32Array.of(1, -1, 1, 1), {
      rows: 1,
      columns: 4,
      kept: 2,
      group: 4,
    });
    expect(Array.from(masked)).toEqual([1, -1, 0, 0]);
  });
});
