import { getKernels } from '@x/kernels-wasm';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, randomMatrix } from '../internal/test-helpers';
import { createRandomOrthogonal } from '../rotation/random-orthogonal';
import { packRotation, rotateColumnsInPlace, rotateRowsInPlace } from './rotate-in-place';
import { rotateLinearInput } from './rotate-linear';

describe('rotate-in-place (wasm GEMM) against rotateLinearInput (fp64 TS twin)', () => {
  it('rows: M ← M R and columns: M ← Rᵀ M, across blocks and partial blocks', async () => {
    const kernels = await getKernels();
    const r = createRandomOrthogonal(20, { seed: 1 });
    const w = randomMatrix(37, 20, 2);
    const rotation = packRotation(kernels, r);
    try {
      const rows = Float32Array.from(w.data);
      rotateRowsInPlace(rotation, rows, 8);
      const twinRows = rotateLinearInput(w, r, { layout: 'out-in' }).data;
      expect(maxAbsDiff(rows, twinRows)).toBeLessThan(1e-5);

      const b = randomMatrix(20, 37, 3); // [in, out]
      const columns = Float32Array.from(b.data);
      rotateColumnsInPlace(rotation, columns, 8);
      const twinColumns = rotateLinearInput(b, r, { layout: 'in-out' }).data;
      expect(maxAbsDiff(columns, twinColumns)).toBeLessThan(1e-5);
    } finally {
      rotation.dispose();
    }
  });

  it('refuses data that is not a whole number of rotation-sized vectors', async () => {
    const rotation = packRotation(await getKernels(), createRandomOrthogonal(4, { seed: 1 }));
    expect(() => rotateRowsInPlace(rotation, new Float32Array(10))).toThrow(/rotation of size 4/);
    rotation.dispose();
  });
});
