import { describe, expect, it } from 'vitest';
import { allocateKiviCache, kiviAttention, uploadKiviCache } from '../src/attention-kivi';
import { createKiviCache, type KiviBits, kiviCacheBytes } from '../src/attention-kivi-cache';
import { isKernelError } from '../src/errors';
import { attentionReference } from '../src/reference/attention-dense';
import { kiviAttentionReference } from '../src/reference/attention-kivi';
import {
  appendKiviToken,
  dequantizeKiviCache,
  flushKiviCache,
  packKiviCache,
  quantizeKiviGroup,
  readKiviCode,
} from '../src/reference/attention-kivi-pack';
import { expectClose, kernelsFor, randomFloats, randomInt, seeded, testedIsas } from './kernel-tester';

// The wasm kernel dequantizes with fp32 code * scale + min (fused on relaxed SIMD) like the twin, then runs the
// same online softmax as the dense kernel.
const tolerance = { absolute: 2e-5, relative: 1e-4 };

describe('KIVI packing (the reference)', () => {
  it.each([2, 4, 8] as const)(
    'round-trips %i-bit codes within half a step, hitting min and max exactly',
    (bits) => {
      const random = seeded(bits);
      const x = randomFloats(random, 32, 3);
      const codes = new Uint8Array(4 * bits);
      const [scale, min] = quantizeKiviGroup((t) => x[t], bits, codes, 0);
      let low = Number.POSITIVE_INFINITY;
      let high = Number.NEGATIVE_INFINITY;
      for (let t = 0; t < 32; t++) {
        const code = readKiviCode(codes, 0, bits, t);
        expect(code).toBeLessThan(1 << bits);
        expect(Math.abs(code * scale + min - x[t])).toBeLessThanOrEqual(scale / 2 + 1e-6);
        low = Math.min(low, code);
        high = Math.max(high, code);
      }
      expect([low, high]).toEqual([0, (1 << bits) - 1]);
    },
  );

  it('stores 4-bit code t in the low nibble of byte t and code t + 16 in the high nibble', () => {
    const codes = new Uint8Array(16);
    quantizeKiviGroup((t) => t, 4, codes, 0);
    // x = t, min 0, scale 31/15: code(t) = round(15 t / 31).
    expect(codes[1]).toBe(Math.round(15 / 31) | (Math.round((15 * 17) / 31) << 4));
    const constant = new Uint8Array(16);
    expect(quantizeKiviGroup(() => 2.5, 4, constant, 0)).toEqual([0, 2.5]);
  });

  it('follows KIVI prefill lengths: keys T - T mod R quantized, values T - R', () => {
    const random = seeded(3);
    const [numKvHeads, kvLength, headDim] = [2, 150, 32];
    const key = randomFloats(random, numKvHeads * kvLength * headDim);
    const value = randomFloats(random, numKvHeads * kvLength * headDim);
    const cache = packKiviCache(key, value, { numKvHeads, kvLength, headDim, bits: 4, residualLength: 64 });
    expect([
      cache.keyQuantizedLength,
      cache.keyResidualLength,
      cache.valueQuantizedLength,
      cache.valueResidualLength,
    ]).toEqual([128, 22, 86, 64]);
    const back = dequantizeKiviCache(cache);
    // fp32 windows come back exactly; quantized parts within the 4-bit step of a [-1, 1] group.
    expect(back.key.subarray(128 * 32, 150 * 32)).toEqual(key.subarray(128 * 32, 150 * 32));
    expect(back.value.subarray(86 * 32, 150 * 32)).toEqual(value.subarray(86 * 32, 150 * 32));
    for (let i = 0; i < key.length; i++) {
      expect(Math.abs(back.key[i] - key[i])).toBeLessThan(2 / 15 / 2 + 1e-6);
      expect(Math.abs(back.value[i] - value[i])).toBeLessThan(2 / 15 / 2 + 1e-6);
    }
  });

  it('decode appends + flushes give the same cache as packing the whole sequence at once', () => {
    const random = seeded(4);
    const [numKvHeads, headDim, prefill, steps, residualLength] = [2, 64, 45, 70, 32];
    const total = prefill + steps;
    const key = randomFloats(random, numKvHeads * total * headDim);
    const value = randomFloats(random, numKvHeads * total * headDim);
    const slice = (x: Float32Array, length: number) => {
      const out = new Float32Array(numKvHeads * length * headDim);
      for (let g = 0; g < numKvHeads; g++)
        out.set(x.subarray(g * total * headDim, (g * total + length) * headDim), g * length * headDim);
      return out;
    };
    const cache = packKiviCache(slice(key, prefill), slice(value, prefill), {
      numKvHeads,
      kvLength: prefill,
      headDim,
      bits: 2,
      residualLength,
      capacity: total,
    });
    for (let u = prefill; u < total; u++) {
      const token = (x: Float32Array) => {
        const out = new Float32Array(numKvHeads * headDim);
        for (let g = 0; g < numKvHeads; g++)
          out.set(x.subarray((g * total + u) * headDim, (g * total + u + 1) * headDim), g * headDim);
        return out;
      };
      appendKiviToken(cache, token(key), token(value));
      flushKiviCache(cache, residualLength);
    }
    const whole = packKiviCache(key, value, {
      numKvHeads,
      kvLength: total,
      headDim,
      bits: 2,
      residualLength,
    });
    const a = dequantizeKiviCache(cache);
    const b = dequantizeKiviCache(whole);
    expect(a.key).toEqual(b.key);
    expect(a.value).toEqual(b.value);
  });

  it('gets closer to fp32 attention with more bits, and 4-bit holds under a quarter of the fp32 bytes', () => {
    const random = seeded(5);
    const [numKvHeads, kvLength, headDim] = [1, 512, 64];
    const key = randomFloats(random, kvLength * headDim);
    const value = randomFloats(random, kvLength * headDim);
    const query = randomFloats(random, 2 * headDim, 4);
    const exact = attentionReference({
      query,
      key,
      value,
      numHeads: 2,
      numKvHeads,
      queryLength: 1,
      kvLength,
      headDim,
    });
    const errors = ([2, 4, 8] as const).map((bits) => {
      const cache = packKiviCache(key, value, { numKvHeads, kvLength, headDim, bits, residualLength: 32 });
      const out = kiviAttentionReference({ query, numHeads: 2, queryLength: 1, cache });
      return out.reduce((worst, x, i) => Math.max(worst, Math.abs(x - exact[i])), 0);
    });
    expect(errors[1]).toBeLessThan(errors[0]);
    expect(errors[2]).toBeLessThan(errors[1]);
    // KIVI's paper setting (G = 32, R = 128) at 4k tokens: codes + fp32 scale/min + fp32 windows.
    const long = packKiviCache(new Float32Array(4096 * headDim), new Float32Array(4096 * headDim), {
      numKvHeads,
      kvLength: 4096,
      headDim,
      bits: 4,
      residualLength: 128,
    });
    expect(kiviCacheBytes(long)).toBeLessThan((2 * 4096 * headDim * 4) / 4);
  });
});

describe.each(testedIsas)('kiviAttention wasm (%s)', (isa) => {
  it('matches the twin: 2/4/8 bits, GQA, one to a few query rows, causal, partial groups', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(10);
    for (let trial = 0; trial < 9; trial++) {
      const bits = ([2, 4, 8] as const)[trial % 3] as KiviBits;
      const numKvHeads = randomInt(random, 1, 3);
      const numHeads = numKvHeads * randomInt(random, 1, 4);
      const headDim = 32 * randomInt(random, 1, 3);
      const kvLength = randomInt(random, 1, 300);
      const residualLength = 32 * randomInt(random, 1, 3);
      const queryLength = Math.min(kvLength, randomInt(random, 1, 5));
      const key = randomFloats(random, numKvHeads * kvLength * headDim);
      const value = randomFloats(random, numKvHeads * kvLength * headDim);
      const cache = packKiviCache(key, value, { numKvHeads, kvLength, headDim, bits, residualLength });
      const query = randomFloats(random, numHeads * queryLength * headDim, 2);
      for (const causal of [false, true]) {
        const input = { query, numHeads, queryLength, cache };
        expectClose(
          kiviAttention(kernels, input, { causal }),
          kiviAttentionReference(input, { causal }),
          tolerance,
        );
      }
    }
  });

  it('reads a cache allocated in the kernels memory in place, across appends', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(11);
    const [numKvHeads, numHeads, headDim, residualLength] = [2, 8, 64, 32];
    const resident = allocateKiviCache(kernels, {
      numKvHeads,
      headDim,
      bits: 4,
      capacity: 256,
      residualCapacity: residualLength + 1,
    });
    for (let step = 0; step < 80; step++) {
      appendKiviToken(
        resident.cache,
        randomFloats(random, numKvHeads * headDim),
        randomFloats(random, numKvHeads * headDim),
      );
      if (step % 20 === 19) {
        const query = randomFloats(random, numHeads * headDim);
        const input = { query, numHeads, queryLength: 1, cache: resident.cache };
        const before = kernels.memory.allocatedBytes;
        const out = kiviAttention(kernels, input);
        expect(kernels.memory.allocatedBytes).toBe(before);
        expectClose(out, kiviAttentionReference(input), tolerance);
      }
      flushKiviCache(resident.cache, residualLength);
    }
    expect(resident.cache.keyQuantizedLength).toBe(64);
    const copy = uploadKiviCache(
      kernels,
      createKiviCache({ numKvHeads: 1, headDim: 32, bits: 8, capacity: 32, residualCapacity: 1 }),
    );
    expect(copy.cache.keyCodes.buffer).toBe(kernels.memory.memory.buffer);
    copy.free();
    resident.free();
  });
});

describe('kiviAttention bad input', () => {
  const random = seeded(20);
  const cache = packKiviCache(randomFloats(random, 64 * 32), randomFloats(random, 64 * 32), {
    numKvHeads: 1,
    kvLength: 64,
    headDim: 32,
    bits: 4,
    residualLength: 32,
  });
  const query = randomFloats(random, 2 * 32);
  const cases: Array<[string, () => unknown, string, string]> = [
    [
      'head dim not a multiple of 32',
      () => createKiviCache({ numKvHeads: 1, headDim: 48, bits: 4, capacity: 32, residualCapacity: 33 }),
      'KERNEL_SHAPE_MISMATCH',
      'headDim',
    ],
    [
      'unsupported bits',
      () =>
        createKiviCache({
          numKvHeads: 1,
          headDim: 32,
          bits: 3 as KiviBits,
          capacity: 32,
          residualCapacity: 33,
        }),
      'KERNEL_INVALID_ARGUMENT',
      'bits',
    ],
    [
      'residual not a multiple of 32',
      () =>
        packKiviCache(new Float32Array(32), new Float32Array(32), {
          numKvHeads: 1,
          kvLength: 1,
          headDim: 32,
          bits: 4,
          residualLength: 20,
        }),
      'KERNEL_INVALID_ARGUMENT',
      'residualLength',
    ],
    [
      'truncated codes',
      () =>
        kiviAttentionReference({
          query,
          numHeads: 2,
          queryLength: 1,
          cache: { ...cache, keyCodes: cache.keyCodes.subarray(1) },
        }),
      'KERNEL_BUFFER_TOO_SMALL',
      'cache.keyCodes',
    ],
    [
      'lengths that disagree',
      () =>
        kiviAttentionReference({
          query,
          numHeads: 2,
          queryLength: 1,
          cache: { ...cache, valueResidualLength: 1 },
        }),
      'KERNEL_SHAPE_MISMATCH',
      'cache.length',
    ],
    [
      'full window',
      () =>
        appendKiviToken(
          { ...cache, keyResidualLength: cache.residualCapacity },
          new Float32Array(32),
          new Float32Array(32),
        ),
      'KERNEL_BUFFER_TOO_SMALL',
      'cache',
    ],
  ];
  it.each(cases)('%s', (_, run, code, argument) => {
    let caught: unknown;
    try {
      run();
    } catch (error) {
      caught = error;
    }
    expect(isKernelError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe(code);
    expect((caught as { details: { argument: string } }).details.argument).toBe(argument);
  });

  it('the wasm kernel names short queries and too many query rows for a causal cache', async () => {
    const kernels = await kernelsFor(testedIsas[0]);
    expect(() =>
      kiviAttention(kernels, { query: query.subarray(1), numHeads: 2, queryLength: 1, cache }),
    ).toThrow(/query/);
    expect(() =>
      kiviAttention(
        kernels,
        { query: new Float32Array(2 * 65 * 32), numHeads: 2, queryLength: 65, cache },
        { causal: true },
      ),
    ).toThrow(/cache.length/);
  });
});
