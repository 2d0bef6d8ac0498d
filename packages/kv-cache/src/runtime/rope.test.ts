import { createRng } from '@x/core';
import { describe, expect, it } from 'vitest';
import { applyRope, halfTable, toHeadMajor, toTokenMajor } from './rope';

const headDim = 8;
const half = headDim / 2;

function tables(positions: number[]): { cos: Float32Array; sin: Float32Array } {
  const cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  positions.forEach((p, t) => {
    for (let i = 0; i < half; i++) {
      const angle = p / 10000 ** ((2 * i) / headDim);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  });
  return { cos, sin };
}

function rotated(vector: Float32Array, position: number, interleaved: boolean): Float32Array {
  const out = vector.slice();
  const { cos, sin } = tables([position]);
  applyRope(out, 1, 1, headDim, cos, sin, interleaved);
  return out;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i], 0);

describe('applyRope', () => {
  it.each([false, true])(
    'q·k depends only on the position offset (interleaved %s) and norms are kept',
    (interleaved) => {
      const rng = createRng(4);
      const q = Float32Array.from({ length: headDim }, () => rng.next() - 0.5);
      const k = Float32Array.from({ length: headDim }, () => rng.next() - 0.5);
      const near = dot(rotated(q, 9, interleaved), rotated(k, 4, interleaved));
      const far = dot(rotated(q, 1009, interleaved), rotated(k, 1004, interleaved));
      expect(far).toBeCloseTo(near, 4);
      expect(dot(rotated(q, 77, interleaved), rotated(q, 77, interleaved))).toBeCloseTo(dot(q, q), 5);
      expect(Array.from(rotated(q, 0, interleaved))).toEqual(Array.from(q));
    },
  );

  it('half tables read the halves (rotate-half) or the even entries (interleaved) of full-width tables', () => {
    const full = Float32Array.of(1, 2, 1, 2, 3, 4, 3, 4);
    expect(Array.from(halfTable(full, 2, 4, false))).toEqual([1, 2, 3, 4]);
    expect(Array.from(halfTable(Float32Array.of(1, 1, 2, 2), 1, 4, true))).toEqual([1, 2]);
  });

  it('head-major and token-major layouts round-trip', () => {
    const rows = Float32Array.from({ length: 3 * 2 * 4 }, (_, i) => i);
    const heads = toHeadMajor(rows, 3, 2, 4);
    expect(Array.from(heads.subarray(0, 8))).toEqual([0, 1, 2, 3, 12, 13, 14, 15]);
    expect(Array.from(toTokenMajor(heads, 3, 2, 4))).toEqual(Array.from(rows));
  });
});
