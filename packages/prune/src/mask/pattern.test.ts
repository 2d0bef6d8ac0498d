import { describe, expect, it } from 'vitest';
import { isPruneError } from '../errors';
import { formatSparsityPattern, parseSparsityPattern, patternSparsity } from './pattern';

describe('parseSparsityPattern', () => {
  it('parses N:M and ratios', () => {
    expect(parseSparsityPattern('2:4')).toEqual({ kind: 'nm', n: 2, m: 4 });
    expect(parseSparsityPattern(' 8:16 ')).toEqual({ kind: 'nm', n: 8, m: 16 });
    expect(parseSparsityPattern('0.6')).toEqual({ kind: 'unstructured', sparsity: 0.6 });
    expect(parseSparsityPattern(0.5)).toEqual({ kind: 'unstructured', sparsity: 0.5 });
    expect(patternSparsity({ kind: 'nm', n: 2, m: 4 })).toBe(0.5);
    expect(formatSparsityPattern({ kind: 'nm', n: 4, m: 8 })).toBe('4:8');
  });

  it('rejects junk with PRUNE_INVALID_OPTION', () => {
    for (const bad of ['4:4', '5:4', '0:4', '1.2', '0', 'half', '2:']) {
      try {
        parseSparsityPattern(bad);
        expect.unreachable();
      } catch (error) {
        expect(isPruneError(error) && error.code).toBe('PRUNE_INVALID_OPTION');
      }
    }
  });
});
