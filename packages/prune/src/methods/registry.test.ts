import { describe, expect, it } from 'vitest';
import { isPruneError } from '../errors';
import { applyMask } from '../mask/apply';
import { selectRowMask } from '../mask/unstructured';
import type { PruneMethod } from './method';
import { getPruneMethod, listPruneMethods, registerPruneMethod } from './registry';

describe('method registry', () => {
  it('holds the built-ins under their names', () => {
    expect(listPruneMethods().slice(0, 3)).toEqual(['magnitude', 'wanda', 'sparsegpt']);
    expect(getPruneMethod('wanda').requires).toEqual(['input-norms']);
    expect(getPruneMethod('sparsegpt').requires).toEqual(['hessian']);
    expect(getPruneMethod('magnitude').requires).toEqual([]);
  });

  it('registers a new method, refuses duplicates, and names the known ones for an unknown name', () => {
    const reverse: PruneMethod = {
      name: 'test-largest-first',
      requires: [],
      score: (weight) => Float64Array.from(weight.data, (v) => -Math.abs(v)),
      prune(weight, _statistics, pattern) {
        const scores = this.score(weight, undefined);
        const sparsity = pattern.kind === 'unstructured' ? pattern.sparsity : 0.5;
        const mask = selectRowMask(scores, weight.rows, weight.columns, sparsity);
        return { weight: applyMask(weight, mask), mask };
      },
    };
    registerPruneMethod(reverse);
    const result = getPruneMethod('test-largest-first').prune(
      { data: Float32Array.from([1, 4, 2, 3]), rows: 1, columns: 4 },
      undefined,
      { kind: 'unstructured', sparsity: 0.5 },
    );
    expect(Array.from(result.weight.data)).toEqual([1, 0, 2, 0]);
    expect(() => registerPruneMethod(reverse)).toThrow(/already registered/);
    registerPruneMethod(reverse, { replace: true });
    try {
      getPruneMethod('nope');
      expect.unreachable();
    } catch (error) {
      expect(isPruneError(error) && error.code).toBe('PRUNE_UNKNOWN_METHOD');
      expect((error as Error).message).toContain('wanda');
    }
  });
});
