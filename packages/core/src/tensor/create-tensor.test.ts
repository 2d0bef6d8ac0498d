import { describe, expect, it } from 'vitest';
import { isXError } from '../errors';
import { createTensor } from './create-tensor';
import { float16BitsToFloat32 } from './float16';
import { reshape } from './reshape';
import { sliceAxis } from './slice-axis';
import { tensorSize } from './tensor-size';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isXError(e) ? e.code : 'not-an-XError';
  }
  return undefined;
}

describe('createTensor', () => {
  it('uses typed arrays as is and zero-fills when data is absent', () => {
    const data = new Float32Array(6);
    const t = createTensor('float32', [2, 3], data);
    expect(t.data).toBe(data);
    expect(createTensor('int4', [5]).data).toEqual(new Uint8Array(3));
    expect(createTensor('int64', [2]).data).toEqual(new BigInt64Array(2));
    expect(createTensor('float32', []).data.length).toBe(1);
  });

  it('converts plain values (float16 rounded, int4 packed)', () => {
    const half = createTensor('float16', [2], [1.5, -2]);
    expect([...half.data].map(float16BitsToFloat32)).toEqual([1.5, -2]);
    expect([...createTensor('int4', [2], [1, -2]).data]).toEqual([0xe1]);
    expect([...createTensor('int64', [1], [5n]).data]).toEqual([5n]);
  });

  it('names the argument in typed errors', () => {
    expect(codeOf(() => createTensor('float32', [2, 3], new Float32Array(5)))).toBe('X_SHAPE_MISMATCH');
    expect(codeOf(() => createTensor('float32', [2], new Int32Array(2) as unknown as Float32Array))).toBe(
      'X_DTYPE_MISMATCH',
    );
    expect(() => createTensor('float32', [2], new Int32Array(2) as unknown as Float32Array)).toThrow(
      /data is a Int32Array.*Float32Array/,
    );
    expect(() => createTensor('float32', [2, -1])).toThrow(/dims\[1\] is -1/);
    expect(codeOf(() => createTensor('float64' as 'float32', [1]))).toBe('X_DTYPE_MISMATCH');
    expect(codeOf(() => createTensor('int64', [1], [1] as unknown as bigint[]))).toBe('X_DTYPE_MISMATCH');
  });

  it('tensorSize multiplies dims', () => {
    expect(tensorSize([2, 3, 4])).toBe(24);
    expect(tensorSize([])).toBe(1);
    expect(tensorSize([3, 0])).toBe(0);
  });
});

describe('reshape', () => {
  it('keeps the data and infers -1', () => {
    const t = createTensor('int32', [2, 6], new Int32Array(12));
    const r = reshape(t, [3, -1]);
    expect(r.dims).toEqual([3, 4]);
    expect(r.data).toBe(t.data);
    expect(codeOf(() => reshape(t, [5, -1]))).toBe('X_SHAPE_MISMATCH');
    expect(codeOf(() => reshape(t, [13]))).toBe('X_SHAPE_MISMATCH');
  });
});

describe('sliceAxis', () => {
  it('matches an index-by-index reference on every axis', () => {
    const dims = [2, 3, 4];
    const t = createTensor(
      'float32',
      dims,
      Float32Array.from({ length: 24 }, (_, i) => i),
    );
    for (let axis = 0; axis < 3; axis++) {
      const s = sliceAxis(t, axis, 1, dims[axis]);
      const expected: number[] = [];
      for (let a = 0; a < 2; a++)
        for (let b = 0; b < 3; b++)
          for (let c = 0; c < 4; c++) if ([a, b, c][axis] >= 1) expected.push(a * 12 + b * 4 + c);
      expect([...s.data]).toEqual(expected);
      expect(s.data).not.toBe(t.data);
    }
    expect(sliceAxis(t, -1, 0, 2).dims).toEqual([2, 3, 2]);
  });

  it('slices packed int4 by element', () => {
    const t = createTensor('int4', [2, 3], [1, 2, 3, -1, -2, -3]);
    expect(sliceAxis(t, 1, 1, 3).data).toEqual(createTensor('int4', [2, 2], [2, 3, -2, -3]).data);
  });

  it('rejects bad axes and ranges', () => {
    const t = createTensor('float32', [2, 2]);
    expect(codeOf(() => sliceAxis(t, 2, 0, 1))).toBe('X_INVALID_ARGUMENT');
    expect(codeOf(() => sliceAxis(t, 0, 1, 3))).toBe('X_INVALID_ARGUMENT');
  });
});
