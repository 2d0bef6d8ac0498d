import { describe, expect, it } from 'vitest';
import { isXError, throwIfAborted, XError } from './errors';

describe('XError', () => {
  it('is recognised structurally, not by instanceof', () => {
    const e = new XError('X_GRAPH', 'bad graph', { details: { node: 'n1' } });
    expect(isXError(e)).toBe(true);
    expect(XError.isInstance(e)).toBe(true);
    // A plain object carrying the marker (as another copy of core would create) is recognised too.
    const foreign = Object.assign(new Error('x'), { [Symbol.for('x.error')]: true, code: 'X_GRAPH' });
    expect(isXError(foreign)).toBe(true);
    expect(isXError(new Error('plain'))).toBe(false);
    expect(isXError(null)).toBe(false);
    expect(e.code).toBe('X_GRAPH');
    expect(e.details).toEqual({ node: 'n1' });
  });

  it('throwIfAborted throws X_ABORTED once the signal fires', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal, 'prune-layer')).not.toThrow();
    controller.abort();
    try {
      throwIfAborted(controller.signal, 'prune-layer');
      expect.unreachable();
    } catch (e) {
      expect(isXError(e) && e.code).toBe('X_ABORTED');
    }
  });
});
