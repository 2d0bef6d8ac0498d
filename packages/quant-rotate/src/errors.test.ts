import { isXError } from '@x/core';
import { describe, expect, it } from 'vitest';
import { isQuantError, QuantError } from './errors';

describe('QuantError', () => {
  it('is an XError with a stable code and its own structural marker', () => {
    const e = new QuantError('QUANT_UNSUPPORTED_BITS', 'bad bits', { details: { bits: 5 } });
    expect(isQuantError(e)).toBe(true);
    expect(isXError(e)).toBe(true);
    expect(e.code).toBe('QUANT_UNSUPPORTED_BITS');
    expect(e.details).toEqual({ bits: 5 });
    const foreign = Object.assign(new Error('x'), { [Symbol.for('x.quant-rotate.error')]: true });
    expect(isQuantError(foreign)).toBe(true);
    expect(isQuantError(new Error('plain'))).toBe(false);
    expect(isQuantError(undefined)).toBe(false);
  });
});
