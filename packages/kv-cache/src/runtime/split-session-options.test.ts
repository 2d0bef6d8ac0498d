import { describe, expect, it } from 'vitest';
import { splitSessionOptions } from './split-engine';

describe('splitSessionOptions', () => {
  it('turns intra-op spinning off by default, keeping the other options', () => {
    expect(splitSessionOptions({ threads: 2, graphOptimizationLevel: 'basic' })).toEqual({
      threads: 2,
      graphOptimizationLevel: 'basic',
      ortOptions: {
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      },
    });
  });

  it("lets the caller's ortOptions keys win and keeps their other keys", () => {
    const resolved = splitSessionOptions({
      ortOptions: {
        executionMode: 'sequential',
        extra: { session: { intra_op: { allow_spinning: '1' }, other: 'x' }, optimization: { y: '1' } },
      },
    });
    expect(resolved.ortOptions).toEqual({
      executionMode: 'sequential',
      extra: {
        session: { other: 'x', intra_op: { allow_spinning: '1' } },
        optimization: { y: '1' },
      },
    });
  });
});
