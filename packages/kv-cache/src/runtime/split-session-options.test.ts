import { describe, expect, it } from 'vitest';
import { splitSessionOptions } from './split-engine';

describe('splitSessionOptions', () => {
  it('spins inside a run and stops spinning after it by default, keeping the other options', () => {
    expect(splitSessionOptions({ threads: 2, graphOptimizationLevel: 'basic' })).toEqual({
      threads: 2,
      graphOptimizationLevel: 'basic',
      ortOptions: {
        extra: { session: { force_spinning_stop: '1', intra_op: { allow_spinning: '1' } } },
      },
    });
  });

  it("lets the caller's ortOptions keys win and keeps their other keys", () => {
    const resolved = splitSessionOptions({
      ortOptions: {
        executionMode: 'sequential',
        extra: { session: { intra_op: { allow_spinning: '0' }, other: 'x' }, optimization: { y: '1' } },
      },
    });
    expect(resolved.ortOptions).toEqual({
      executionMode: 'sequential',
      extra: {
        session: { force_spinning_stop: '1', other: 'x', intra_op: { allow_spinning: '0' } },
        optimization: { y: '1' },
      },
    });
  });
});
