/**
 * Shared helpers for the kernel tests: a seeded generator (tests only; library code uses
 * @x/core's createRng), every ISA this engine can run, and a tolerance check that reports the
 * worst element.
 */
import { expect } from 'vitest';
import { type Kernels, loadKernels } from '../src/load';
import { hasRelaxedSimd } from '../src/runtime/features';

/** mulberry32: small, seeded, good enough for test data. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomFloats(random: () => number, length: number, scale = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (random() * 2 - 1) * scale;
  return out;
}

export function randomInt(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** ISAs to test: SIMD128 always; relaxed when the engine validates it (vitest passes the Node flag). */
export const testedIsas: ReadonlyArray<'simd' | 'relaxed'> = hasRelaxedSimd()
  ? ['simd', 'relaxed']
  : ['simd'];

const instances = new Map<string, Promise<Kernels>>();
export function kernelsFor(isa: 'simd' | 'relaxed'): Promise<Kernels> {
  let pending = instances.get(isa);
  if (pending === undefined) {
    pending = loadKernels({ isa });
    instances.set(isa, pending);
  }
  return pending;
}

/** |actual - expected| <= absolute + relative * |expected| everywhere; the message names the worst index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: { absolute: number; relative: number },
): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    const excess = error - (tolerance.absolute + tolerance.relative * Math.abs(expected[i]));
    if (!(excess <= worstExcess) || Number.isNaN(actual[i])) {
      worst = i;
      worstExcess = Number.isNaN(actual[i]) ? Number.POSITIVE_INFINITY : excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (tolerance ${JSON.stringify(tolerance)})`,
    );
  }
}
