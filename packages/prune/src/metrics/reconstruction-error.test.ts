import { describe, expect, it } from 'vitest';
import {
  correlatedActivations,
  createRng,
  outputError,
  randomMatrix,
  referenceHessian,
} from '../../test/helpers/layers';
import { reconstructionErrorFromHessian } from './reconstruction-error';

describe('reconstructionErrorFromHessian', () => {
  it('equals (2/n)·‖(W − Ŵ)Xᵀ‖² computed from the activations', () => {
    const rng = createRng(51);
    const rows = 4;
    const columns = 10;
    const dense = randomMatrix(rng, rows, columns);
    const pruned = Float32Array.from(dense, (v, k) => (k % 3 === 0 ? 0 : v));
    const x = correlatedActivations(rng, 30, columns);
    const perRow = reconstructionErrorFromHessian(
      { data: dense, rows, columns },
      { data: pruned, rows, columns },
      referenceHessian(x, columns, 3),
    );
    const total = perRow.reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo((2 / 3) * outputError(dense, pruned, x, rows, columns), 6);
  });
});
