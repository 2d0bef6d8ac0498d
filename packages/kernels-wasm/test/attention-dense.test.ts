import { describe, expect, it } from 'vitest';
import { attention } from '../src/attention';
import type { AttentionInput } from '../src/attention-types';
import { isKernelError } from '../src/errors';
import { attentionReference } from '../src/reference/attention-dense';
import { expectClose, kernelsFor, randomFloats, randomInt, seeded, testedIsas } from './kernel-tester';

// fp32 online softmax vs the float64 two-pass twin, inputs in [-1, 1]: observed error ~1e-7.
const tolerance = { absolute: 1e-5, relative: 1e-4 };

function randomInput(
  random: () => number,
  shape: { numHeads: number; numKvHeads: number; queryLength: number; kvLength: number; headDim: number },
  scale = 1,
): AttentionInput {
  const { numHeads, numKvHeads, queryLength, kvLength, headDim } = shape;
  return {
    ...shape,
    query: randomFloats(random, numHeads * queryLength * headDim, scale),
    key: randomFloats(random, numKvHeads * kvLength * headDim, scale),
    value: randomFloats(random, numKvHeads * kvLength * headDim),
  };
}

/** A random tree of `nodes` nodes (parent[i] < i) behind a cache of `cached` tokens: row i sees the cache and its ancestors-or-self. */
function treeMask(random: () => number, cached: number, nodes: number): Uint8Array {
  const kvLength = cached + nodes;
  const parent = [-1];
  for (let i = 1; i < nodes; i++) parent.push(randomInt(random, 0, i - 1));
  const mask = new Uint8Array(nodes * kvLength);
  for (let i = 0; i < nodes; i++) {
    mask.fill(1, i * kvLength, i * kvLength + cached);
    for (let node = i; node >= 0; node = parent[node]) mask[i * kvLength + cached + node] = 1;
  }
  return mask;
}

describe('attentionReference (the twin)', () => {
  it('matches softmax(q k^T / sqrt(d)) v worked by hand on one query and two keys', () => {
    const input = {
      query: new Float32Array([1, 0]),
      key: new Float32Array([1, 0, 0, 1]),
      value: new Float32Array([10, 0, 0, 20]),
      numHeads: 1,
      numKvHeads: 1,
      queryLength: 1,
      kvLength: 2,
      headDim: 2,
    };
    const w0 = Math.exp(1 / Math.SQRT2) / (Math.exp(1 / Math.SQRT2) + 1);
    expectClose(attentionReference(input), [10 * w0, 20 * (1 - w0)], { absolute: 1e-6, relative: 1e-6 });
  });

  it('averages to the value when every visible value row is the same (weights sum to 1)', () => {
    const random = seeded(1);
    const input = randomInput(random, {
      numHeads: 2,
      numKvHeads: 1,
      queryLength: 5,
      kvLength: 9,
      headDim: 3,
    });
    for (let j = 0; j < 9; j++) input.value.set([0.5, -2, 3], j * 3);
    const out = attentionReference(input, { causal: true });
    for (let r = 0; r < 10; r++) expectClose(out.subarray(r * 3, r * 3 + 3), [0.5, -2, 3], tolerance);
  });

  it('equals multi-head attention on repeated KV heads (GQA)', () => {
    const random = seeded(2);
    const input = randomInput(random, {
      numHeads: 6,
      numKvHeads: 2,
      queryLength: 4,
      kvLength: 7,
      headDim: 5,
    });
    const repeat = (x: Float32Array) => {
      const out = new Float32Array(x.length * 3);
      for (let h = 0; h < 6; h++)
        out.set(x.subarray(Math.floor(h / 3) * 35, Math.floor(h / 3) * 35 + 35), h * 35);
      return out;
    };
    const mha = { ...input, numKvHeads: 6, key: repeat(input.key), value: repeat(input.value) };
    expectClose(attentionReference(input), attentionReference(mha), tolerance);
  });

  it('is invariant to the order of keys without a causal mask', () => {
    const random = seeded(3);
    const input = randomInput(random, {
      numHeads: 1,
      numKvHeads: 1,
      queryLength: 3,
      kvLength: 6,
      headDim: 4,
    });
    const order = [4, 1, 5, 0, 3, 2];
    const permute = (x: Float32Array) => {
      const out = new Float32Array(x.length);
      for (const [to, from] of order.entries()) out.set(x.subarray(from * 4, from * 4 + 4), to * 4);
      return out;
    };
    expectClose(
      attentionReference({ ...input, key: permute(input.key), value: permute(input.value) }),
      attentionReference(input),
      tolerance,
    );
  });

  it('treats a false mask entry as a -Infinity bias and gives 0 to a row that sees nothing', () => {
    const random = seeded(4);
    const input = randomInput(random, {
      numHeads: 1,
      numKvHeads: 1,
      queryLength: 3,
      kvLength: 4,
      headDim: 2,
    });
    const mask = new Uint8Array([1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    const bias = Float32Array.from(mask, (m) => (m ? 0 : Number.NEGATIVE_INFINITY));
    const masked = attentionReference(input, { mask });
    expectClose(masked, attentionReference(input, { bias }), tolerance);
    expect(Array.from(masked.subarray(2, 4))).toEqual([0, 0]);
    // Causal with kvLength == queryLength: the first query sees only the first key.
    const square = randomInput(random, {
      numHeads: 1,
      numKvHeads: 1,
      queryLength: 3,
      kvLength: 3,
      headDim: 2,
    });
    expectClose(
      attentionReference(square, { causal: true }).subarray(0, 2),
      square.value.subarray(0, 2),
      tolerance,
    );
  });
});

describe.each(testedIsas)('attention wasm (%s)', (isa) => {
  it('matches the twin on random shapes, odd sizes, GQA, causal or not', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(10);
    const shapes = [
      [1, 1, 1, 1, 1],
      [2, 1, 5, 7, 3],
      [4, 2, 13, 29, 12],
      [3, 3, 70, 130, 64],
      [2, 1, 33, 100, 5],
      [8, 2, 1, 257, 128],
    ];
    for (let trial = 0; trial < 6; trial++) {
      const numKvHeads = randomInt(random, 1, 3);
      shapes.push([
        numKvHeads * randomInt(random, 1, 3),
        numKvHeads,
        randomInt(random, 1, 40),
        randomInt(random, 1, 90),
        randomInt(random, 1, 70),
      ]);
    }
    for (const [numHeads, numKvHeads, queryLength, kvLength0, headDim] of shapes) {
      for (const causal of [false, true]) {
        const kvLength = causal ? Math.max(kvLength0, queryLength) : kvLength0;
        const input = randomInput(random, { numHeads, numKvHeads, queryLength, kvLength, headDim });
        expectClose(attention(kernels, input, { causal }), attentionReference(input, { causal }), tolerance);
      }
    }
  });

  it('matches the twin with a scale, large logits, an additive bias and a tree mask', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(11);
    for (const [numHeads, numKvHeads, cached, nodes, headDim] of [
      [4, 2, 37, 11, 16],
      [2, 2, 0, 26, 7],
      [1, 1, 100, 70, 32],
      [8, 2, 29, 1, 24],
      [2, 2, 5, 3, 9],
    ]) {
      const kvLength = cached + nodes;
      const input = randomInput(random, { numHeads, numKvHeads, queryLength: nodes, kvLength, headDim }, 3);
      const mask = treeMask(random, cached, nodes);
      const bias = randomFloats(random, numHeads * nodes * kvLength, 4);
      for (const options of [{ mask }, { bias, scale: 0.3 }, { mask, bias, causal: true }]) {
        expectClose(attention(kernels, input, options), attentionReference(input, options), tolerance);
      }
    }
  });

  it('works on KernelBuffers in place and reuses its scratch', async () => {
    const kernels = await kernelsFor(isa);
    const random = seeded(12);
    const input = randomInput(random, {
      numHeads: 4,
      numKvHeads: 2,
      queryLength: 9,
      kvLength: 40,
      headDim: 16,
    });
    const buffers = {
      query: kernels.alloc('float32', input.query.length),
      key: kernels.alloc('float32', input.key.length),
      value: kernels.alloc('float32', input.value.length),
    };
    buffers.query.view().set(input.query);
    buffers.key.view().set(input.key);
    buffers.value.view().set(input.value);
    const output = kernels.alloc('float32', input.query.length);
    const expected = attentionReference(input, { causal: true });
    attention(kernels, { ...input, ...buffers }, { causal: true, output });
    const before = kernels.memory.allocatedBytes;
    const result = attention(kernels, { ...input, ...buffers }, { causal: true, output });
    expect(result.buffer).toBe(kernels.memory.memory.buffer);
    expect(kernels.memory.allocatedBytes).toBe(before);
    expectClose(result, expected, tolerance);
    for (const buffer of [...Object.values(buffers), output]) buffer.free();
  });
});

describe('attention bad input', () => {
  const random = seeded(20);
  const input = randomInput(random, { numHeads: 4, numKvHeads: 2, queryLength: 3, kvLength: 5, headDim: 8 });
  const cases: Array<[string, () => unknown, string, string]> = [
    [
      'heads not a multiple',
      () => attentionReference({ ...input, numKvHeads: 3 }),
      'KERNEL_SHAPE_MISMATCH',
      'numHeads',
    ],
    [
      'short key',
      () => attentionReference({ ...input, key: input.key.subarray(1) }),
      'KERNEL_BUFFER_TOO_SMALL',
      'key',
    ],
    ['long query', () => attentionReference({ ...input, queryLength: 2 }), 'KERNEL_SHAPE_MISMATCH', 'query'],
    [
      'kvLength below queryLength when causal',
      () =>
        attentionReference(
          { ...input, queryLength: 6, query: new Float32Array(4 * 6 * 8), kvLength: 5 },
          { causal: true },
        ),
      'KERNEL_SHAPE_MISMATCH',
      'kvLength',
    ],
    [
      'bias of the wrong size',
      () => attentionReference(input, { bias: new Float32Array(61) }),
      'KERNEL_SHAPE_MISMATCH',
      'options.bias',
    ],
    [
      'mask of the wrong type',
      () => attentionReference(input, { mask: new Float32Array(15) as unknown as Uint8Array }),
      'KERNEL_DTYPE_MISMATCH',
      'options.mask',
    ],
    [
      'small output',
      () => attentionReference(input, { output: new Float32Array(3) }),
      'KERNEL_BUFFER_TOO_SMALL',
      'options.output',
    ],
    [
      'zero head dim',
      () => attentionReference({ ...input, headDim: 0 }),
      'KERNEL_INVALID_ARGUMENT',
      'headDim',
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

  it('refuses an output buffer that overlaps an input buffer', async () => {
    const kernels = await kernelsFor(testedIsas[0]);
    const query = kernels.alloc('float32', input.query.length);
    query.view().set(input.query);
    let caught: unknown;
    try {
      attention(kernels, { ...input, query }, { output: query });
    } catch (error) {
      caught = error;
    }
    expect(isKernelError(caught)).toBe(true);
    expect((caught as { details: { argument: string } }).details.argument).toBe('options.output');
    query.free();
  });

  it('the wasm kernel checks the same way', async () => {
    const kernels = await kernelsFor(testedIsas[0]);
    expect(() => attention(kernels, { ...input, value: input.value.subarray(2) })).toThrow(/value/);
  });
});
