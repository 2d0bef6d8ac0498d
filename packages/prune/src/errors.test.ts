import { isXError, XError } from '@x/core';
import { describe, expect, it } from 'vitest';
import { invalidOption, isPruneError, PruneError } from './errors';

describe('PruneError', () => {
  it('is an XError with a stable code and its own structural marker', () => {
    const error = new PruneError('PRUNE_INVALID_OPTION', 'sparsity: bad', {
      details: { option: 'sparsity' },
    });
    expect(isXError(error)).toBe(true);
    expect(isPruneError(error)).toBe(true);
    expect(error.code).toBe('PRUNE_INVALID_OPTION');
    expect(error.name).toBe('PruneError');
    expect(isPruneError(new XError('X_GRAPH', 'not ours'))).toBe(false);
    expect(isPruneError(Object.assign(new Error('copy'), { [Symbol.for('x.prune.error')]: true }))).toBe(
      true,
    );
    expect(isPruneError(undefined)).toBe(false);
  });

  it('invalidOption names the option in message and details', () => {
    const error = invalidOption('blocksize', 'must be positive', -1);
    expect(error.message).toContain('blocksize');
    expect(error.details).toEqual({ option: 'blocksize', value: -1 });
  });
});
