import { describe, expect, it } from 'vitest';
import { correlatedActivations, createRng, randomMatrix, referenceHessian } from '../../test/helpers/layers';
import { isPruneError } from '../errors';
import { meanReconstructionError } from './mean-reconstruction-error';
import { reconstructionErrorFromHessian } from './reconstruction-error';

describe('meanReconstructionError', () => {
  it('is the mean part of the Hessian error: total − mean = the error on mean-centred inputs', () => {
    const rng = createRng(52);
    const rows = 3;
    const columns = 8;
    const samples = 4;
    const length = 6;
    const tokens = samples * length;
    const dense = randomMatrix(rng, rows, columns);
    const pruned = Float32Array.from(dense, (v, k) => (k % 2 === 0 ? 0 : v));
    const x = correlatedActivations(rng, tokens, columns, { meanScale: 2 });
    const mean = new Float64Array(columns);
    for (let t = 0; t < tokens; t++) for (let j = 0; j < columns; j++) mean[j] += x[t * columns + j] / tokens;
    const centred = Float64Array.from(x, (v, k) => v - mean[k % columns]);
    const a = { data: dense, rows, columns };
    const b = { data: pruned, rows, columns };
    const total = reconstructionErrorFromHessian(a, b, referenceHessian(x, columns, samples));
    const variancePart = reconstructionErrorFromHessian(a, b, referenceHessian(centred, columns, samples));
    const meanPart = meanReconstructionError(a, b, mean, length);
    for (let i = 0; i < rows; i++) {
      expect(meanPart[i]).toBeGreaterThan(0);
      expect(total[i] - variancePart[i]).toBeCloseTo(meanPart[i], 6);
    }
  });

  it('refuses a non-positive token count with a typed error', () => {
    const w = { data: new Float32Array(4), rows: 2, columns: 2 };
    try {
      meanReconstructionError(w, w, [0, 0], 0);
      expect.unreachable();
    } catch (error) {
      expect(isPruneError(error) && error.code).toBe('PRUNE_INVALID_OPTION');
    }
  });
});
