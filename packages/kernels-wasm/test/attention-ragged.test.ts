import { describe, expect, it } from 'vitest';
import { raggedAttention } from '../src/attention-ragged';
import type { RaggedAttentionInput } from '../src/attention-types';
import { isKernelError } from '../src/errors';
import { attentionReference } from '../src/reference/attention-dense';
import { raggedAttentionReference } from '../src/reference/attention-ragged';
import { expectClose, kernelsFor, randomFloats, randomInt, seeded, testedIsas } from './kernel-tester';

const tolerance = { absolute: 1e-5, relative: 1e-4 };

function randomRagged(
  random: () => number,
  numHeads: number,
  kvLengths: number[],
  queryLength: number,
  headDim: number,
): RaggedAttentionInput {
  const rows = kvLengths.reduce((a, b) => a + b, 0);
  return {
    query: randomFloats(random, numHeads * queryLength * headDim),
    key: randomFloats(random, rows * headDim),
    value: randomFloats(random, rows * headDim),
    kvLengths,
    numHeads,
    numKvHeads: kvLengths.length,
    queryLength,
    headDim,
  };
}

describe('raggedAttentionReference (the twin)', () => {
  it('equals dense attention when every KV head has the same length', () => {
    const random = seeded(1);
    const input = randomRagged(random, 4, [6, 6], 3, 5);
    const dense = { ...input, kvLength: 6 };
    expectClose(
      raggedAttentionReference(input, { causal: true }),
      attentionReference(dense, { causal: true }),
      tolerance,
    );
  });

  it('weighs a compensation token with keyBias ln(n) as n copies of it (RazorAttention Eq. 4)', () => {
    const random = seeded(2);
    const headDim = 4;
    const kept = 5;
    const dropped = 7;
    const base = randomRagged(random, 1, [kept + 1], 2, headDim);
    // Slot `kept` is the compensation token (mean of the dropped keys/values).
    const keyBias = new Float32Array(kept + 1);
    keyBias[kept] = Math.log(dropped);
    const copies = (x: Float32Array) => {
      const out = new Float32Array((kept + dropped) * headDim);
      out.set(x.subarray(0, kept * headDim));
      for (let d = 0; d < dropped; d++)
        out.set(x.subarray(kept * headDim, (kept + 1) * headDim), (kept + d) * headDim);
      return out;
    };
    const expanded = {
      ...base,
      kvLengths: [kept + dropped],
      key: copies(base.key),
      value: copies(base.value),
    };
    expectClose(raggedAttentionReference(base, { keyBias }), raggedAttentionReference(expanded), tolerance);
  });

  it('gives zeros to the query heads of an empty KV head', () => {
    const random = seeded(3);
    const out = raggedAttentionReference(randomRagged(random, 2, [0, 3], 2, 3));
    expect(Array.from(out.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(out.subarray(6).some((x) => x !== 0)).toBe(true);
  });
});

describe.each(testedIsas)('raggedAttention wasm (%s)', (isa) => {
  it('matches the twin: full-cache heads beside sink + window heads, GQA, key bias, causal', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(10);
    for (let trial = 0; trial < 8; trial++) {
      const numKvHeads = randomInt(random, 1, 4);
      const numHeads = numKvHeads * randomInt(random, 1, 3);
      const queryLength = randomInt(random, 1, 6);
      const full = randomInt(random, 20, 150);
      const kvLengths = Array.from({ length: numKvHeads }, (_, g) =>
        g % 2 === 0 ? full : randomInt(random, queryLength, 40),
      );
      const headDim = randomInt(random, 1, 80);
      const input = randomRagged(random, numHeads, kvLengths, queryLength, headDim);
      const keyBias = randomFloats(
        random,
        kvLengths.reduce((a, b) => a + b, 0),
        2,
      );
      for (const options of [{}, { causal: true }, { keyBias, causal: trial % 2 === 0 }]) {
        expectClose(
          raggedAttention(kernels, input, options),
          raggedAttentionReference(input, options),
          tolerance,
        );
      }
    }
  });

  it('handles an empty KV head', async () => {
    const kernels = await kernelsFor(isa);
    const input = randomRagged(seeded(11), 4, [0, 9], 3, 8);
    expectClose(raggedAttention(kernels, input), raggedAttentionReference(input), tolerance);
  });
});

describe('raggedAttention bad input', () => {
  const input = randomRagged(seeded(20), 2, [3, 4], 2, 4);
  const expectCode = (run: () => unknown, code: string, argument: string) => {
    try {
      run();
    } catch (error) {
      expect(isKernelError(error)).toBe(true);
      expect((error as { code: string }).code).toBe(code);
      expect((error as { details: { argument: string } }).details.argument).toBe(argument);
      return;
    }
    expect.fail('no error');
  };
  it('names the argument', async () => {
    expectCode(
      () => raggedAttentionReference({ ...input, kvLengths: [3] }),
      'KERNEL_SHAPE_MISMATCH',
      'kvLengths',
    );
    expectCode(
      () => raggedAttentionReference({ ...input, kvLengths: [3, -1] }),
      'KERNEL_INVALID_ARGUMENT',
      'kvLengths[1]',
    );
    expectCode(
      () => raggedAttentionReference({ ...input, kvLengths: [3, 5] }),
      'KERNEL_BUFFER_TOO_SMALL',
      'key',
    );
    expectCode(
      () => raggedAttentionReference({ ...input, kvLengths: [1, 6] }, { causal: true }),
      'KERNEL_SHAPE_MISMATCH',
      'kvLengths[0]',
    );
    expectCode(
      () => raggedAttentionReference(input, { keyBias: new Float32Array(6) }),
      'KERNEL_BUFFER_TOO_SMALL',
      'options.keyBias',
    );
    const kernels = await kernelsFor(testedIsas[0]);
    expectCode(
      () => raggedAttention(kernels, { ...input, value: new Float32Array(29) }),
      'KERNEL_SHAPE_MISMATCH',
      'value',
    );
  });
});
