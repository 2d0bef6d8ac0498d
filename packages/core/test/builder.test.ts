import { afterAll, describe, expect, test } from 'vitest';
import type { BackendName, DecoderForm, ReferenceKv, Session, Tensor } from '../src/index';
import {
  buildDecoderModel,
  createDecoderWeights,
  createTensor,
  type DecoderConfig,
  isXError,
  loadBackend,
  onnx,
  referenceForward,
} from '../src/index';
import { createRng } from '../src/rng';

const base = { rmsNormEps: 1e-5, ropeTheta: 10000, maxPositionEmbeddings: 64 };
/** Tiny shapes: GQA ratios 1, 2, 4; odd hidden / intermediate; tied and untied; 1-3 layers; both fused rotaries. */
const shapes: Record<string, DecoderConfig> = {
  'ratio 1, odd sizes, 1 layer, untied': {
    ...base,
    vocabSize: 29,
    hiddenSize: 13,
    numLayers: 1,
    numHeads: 2,
    numKvHeads: 2,
    headDim: 8,
    intermediateSize: 19,
    tieWordEmbeddings: false,
  },
  'ratio 2, tied, 2 layers, headDim 16': {
    ...base,
    vocabSize: 32,
    hiddenSize: 20,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    intermediateSize: 37,
    tieWordEmbeddings: true,
  },
  'ratio 4, 3 layers, untied': {
    ...base,
    vocabSize: 40,
    hiddenSize: 24,
    numLayers: 3,
    numHeads: 8,
    numKvHeads: 2,
    headDim: 8,
    intermediateSize: 45,
    tieWordEmbeddings: false,
    ropeTheta: 500000,
  },
};
const forms: DecoderForm[] = ['decomposed', 'fused'];

interface RunInput {
  ids: number[][];
  positions?: number[][];
  mask?: number[][];
  past?: ReferenceKv[];
}

const sessions = new Map<string, Promise<Session>>();
afterAll(async () => {
  for (const session of sessions.values()) await (await session).release();
});

/** One session per backend and model, shared by the tests that run the same model. */
function sessionFor(backend: BackendName, key: string, model: Uint8Array): Promise<Session> {
  const id = `${backend}|${key}`;
  let session = sessions.get(id);
  if (!session) {
    session = loadBackend(backend).then((loaded) => loaded.createSession(model));
    sessions.set(id, session);
  }
  return session;
}

/** Runs a model through core's backend layer (loadBackend → createSession → run with core tensors). */
async function run(backend: BackendName, config: DecoderConfig, model: Encoded, input: RunInput) {
  const batch = input.ids.length;
  const seq = input.ids[0].length;
  const pastLength = input.past?.[0].key.dims[2] ?? 0;
  const mask = input.mask ?? input.ids.map(() => new Array(pastLength + seq).fill(1));
  const positions = input.positions ?? input.ids.map((row) => row.map((_, i) => pastLength + i));
  const int64 = (rows: number[][]) =>
    createTensor('int64', [rows.length, rows[0].length], BigInt64Array.from(rows.flat(), BigInt));
  const feeds: Record<string, Tensor> = {
    input_ids: int64(input.ids),
    attention_mask: int64(mask),
    position_ids: int64(positions),
  };
  for (let layer = 0; layer < config.numLayers; layer++) {
    const empty = createTensor('float32', [batch, config.numKvHeads, 0, config.headDim]);
    feeds[`past_key_values.${layer}.key`] = input.past?.[layer].key ?? empty;
    feeds[`past_key_values.${layer}.value`] = input.past?.[layer].value ?? empty;
  }
  const session = await sessionFor(backend, model.key, model.bytes);
  const out = await session.run(feeds);
  const tensor = (name: string) => out[name] as Tensor<'float32'>;
  return {
    logits: tensor('logits'),
    present: Array.from({ length: config.numLayers }, (_, layer) => ({
      key: tensor(`present.${layer}.key`),
      value: tensor(`present.${layer}.value`),
    })),
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function randomIds(config: DecoderConfig, batch: number, seq: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: batch }, () => Array.from({ length: seq }, () => rng.int(config.vocabSize)));
}

interface Encoded {
  key: string;
  bytes: Uint8Array;
}

const encode = (config: DecoderConfig, form: DecoderForm, seed = 7) => {
  const weights = createDecoderWeights(config, { seed });
  const model: Encoded = {
    key: `${JSON.stringify(config)}|${form}|${seed}`,
    bytes: onnx.ModelProto.encode(buildDecoderModel(config, weights, { form })).finish(),
  };
  return { weights, model };
};

describe.each(['node', 'web'] as const)('buildDecoderModel on onnxruntime-%s', (backend) => {
  describe.each(Object.entries(shapes))('%s', (_, config) => {
    test.each(forms)('%s form matches referenceForward (logits and present KV)', async (form) => {
      const { weights, model } = encode(config, form);
      const ids = randomIds(config, 2, 5, 1);
      const expected = referenceForward(config, weights, ids);
      const actual = await run(backend, config, model, { ids });
      expect(actual.logits.dims).toEqual([2, 5, config.vocabSize]);
      // Logits are O(10) here, so 1e-4 is float32 round-off, and any wrong op is far larger.
      expect(Math.max(...Array.from(actual.logits.data, Math.abs))).toBeGreaterThan(1);
      expect(maxAbsDiff(actual.logits.data, expected.logits.data)).toBeLessThan(1e-4);
      for (let layer = 0; layer < config.numLayers; layer++) {
        expect(actual.present[layer].key.dims).toEqual([2, config.numKvHeads, 5, config.headDim]);
        expect(maxAbsDiff(actual.present[layer].key.data, expected.present[layer].key.data)).toBeLessThan(
          1e-4,
        );
        expect(maxAbsDiff(actual.present[layer].value.data, expected.present[layer].value.data)).toBeLessThan(
          1e-4,
        );
      }
    });

    test.each(forms)(
      '%s form: prefill then decode steps with past KV equals the full-sequence run',
      async (form) => {
        const { model } = encode(config, form);
        const ids = randomIds(config, 2, 6, 2);
        const full = await run(backend, config, model, { ids });
        const prefill = await run(backend, config, model, { ids: ids.map((row) => row.slice(0, 4)) });
        const step1 = await run(backend, config, model, {
          ids: ids.map((row) => row.slice(4, 5)),
          past: prefill.present,
        });
        const step2 = await run(backend, config, model, {
          ids: ids.map((row) => row.slice(5, 6)),
          past: step1.present,
        });
        const vocab = config.vocabSize;
        const at = (logits: Float32Array, seq: number, b: number, s: number) =>
          logits.subarray((b * seq + s) * vocab, (b * seq + s + 1) * vocab);
        for (let b = 0; b < 2; b++) {
          expect(maxAbsDiff(at(step1.logits.data, 1, b, 0), at(full.logits.data, 6, b, 4))).toBeLessThan(
            1e-4,
          );
          expect(maxAbsDiff(at(step2.logits.data, 1, b, 0), at(full.logits.data, 6, b, 5))).toBeLessThan(
            1e-4,
          );
          expect(maxAbsDiff(at(prefill.logits.data, 4, b, 3), at(full.logits.data, 6, b, 3))).toBeLessThan(
            1e-4,
          );
        }
        expect(step2.present[0].key.dims).toEqual([2, config.numKvHeads, 6, config.headDim]);
        expect(
          maxAbsDiff(
            step2.present[config.numLayers - 1].value.data,
            full.present[config.numLayers - 1].value.data,
          ),
        ).toBeLessThan(1e-4);
      },
    );
  });

  test.each(forms)(
    '%s form honours explicit position_ids (RoPE offsets) with several new tokens after a reference past',
    async (form) => {
      const config = shapes['ratio 2, tied, 2 layers, headDim 16'];
      const { weights, model } = encode(config, form, 11);
      // Batch 1: ORT's GroupQueryAttention rejects batch > 1 when several new tokens meet a past.
      const pastIds = randomIds(config, 1, 3, 3);
      const ids = randomIds(config, 1, 3, 4);
      const pastPositions = [[9, 10, 11]];
      const positions = [[12, 13, 14]];
      const prefix = referenceForward(config, weights, pastIds, { positionIds: pastPositions });
      const expected = referenceForward(config, weights, ids, {
        positionIds: positions,
        past: prefix.present,
      });
      const actual = await run(backend, config, model, { ids, positions, past: prefix.present });
      expect(maxAbsDiff(actual.logits.data, expected.logits.data)).toBeLessThan(1e-4);
      // Positions matter: the default positions give different logits.
      const shifted = referenceForward(config, weights, ids, { past: prefix.present });
      expect(maxAbsDiff(shifted.logits.data, expected.logits.data)).toBeGreaterThan(1e-2);
    },
  );

  test('decomposed form honours left padding in attention_mask', async () => {
    const config = shapes['ratio 4, 3 layers, untied'];
    const { weights, model } = encode(config, 'decomposed', 5);
    const ids = randomIds(config, 2, 5, 6);
    const mask = [
      [0, 0, 1, 1, 1],
      [1, 1, 1, 1, 1],
    ];
    const positions = [
      [0, 0, 0, 1, 2],
      [0, 1, 2, 3, 4],
    ];
    const expected = referenceForward(config, weights, ids, { attentionMask: mask, positionIds: positions });
    const actual = await run(backend, config, model, { ids, mask, positions });
    expect(maxAbsDiff(actual.logits.data, expected.logits.data)).toBeLessThan(1e-4);
    // The padded row's real tokens equal the unpadded run of the same three tokens.
    const alone = referenceForward(config, weights, [ids[0].slice(2)]);
    const vocab = config.vocabSize;
    expect(maxAbsDiff(actual.logits.data.subarray(2 * vocab, 5 * vocab), alone.logits.data)).toBeLessThan(
      1e-4,
    );
  });

  test('fused form honours right padding (GQA seqlens_k) at the valid positions', async () => {
    const config = shapes['ratio 2, tied, 2 layers, headDim 16'];
    const { weights, model } = encode(config, 'fused', 5);
    const ids = randomIds(config, 2, 5, 8);
    const mask = [
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
    ];
    const actual = await run(backend, config, model, { ids, mask });
    const vocab = config.vocabSize;
    const short = referenceForward(config, weights, [ids[0].slice(0, 3)]);
    const long = referenceForward(config, weights, [ids[1]]);
    expect(maxAbsDiff(actual.logits.data.subarray(0, 3 * vocab), short.logits.data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(actual.logits.data.subarray(5 * vocab), long.logits.data)).toBeLessThan(1e-4);
  });
});

describe('onnxruntime-node and onnxruntime-web agree', () => {
  test.each(
    Object.entries(shapes).flatMap(([name, config]) => forms.map((form) => [name, form, config] as const)),
  )('%s, %s form', async (_, form, config) => {
    const { model } = encode(config, form);
    const ids = randomIds(config, 1, 4, 9);
    const [node, web] = await Promise.all([
      run('node', config, model, { ids }),
      run('web', config, model, { ids }),
    ]);
    expect(maxAbsDiff(node.logits.data, web.logits.data)).toBeLessThan(1e-4);
  });
});

describe('createDecoderWeights', () => {
  const config = shapes['ratio 2, tied, 2 layers, headDim 16'];
  test('buildDecoderModel records its resolved options in metadata_props', () => {
    const weights = createDecoderWeights(config, { seed: 3 });
    const model = buildDecoderModel(config, weights, { form: 'fused' });
    const entry = model.metadataProps.find((prop) => prop.key === 'x.buildDecoderModel');
    expect(JSON.parse(entry?.value ?? '{}')).toEqual({ form: 'fused', fusedRotary: 'gqa', config });
  });

  test('is deterministic per seed, nn.Linear [out, in] sized, lm_head only when untied', () => {
    const a = createDecoderWeights(config, { seed: 3 });
    const b = createDecoderWeights(config, { seed: 3 });
    const c = createDecoderWeights(config, { seed: 4 });
    expect(a.layers[1].downProj).toEqual(b.layers[1].downProj);
    expect(maxAbsDiff(a.layers[1].downProj, c.layers[1].downProj)).toBeGreaterThan(0.1);
    expect(a.layers[0].qProj.length).toBe(config.numHeads * config.headDim * config.hiddenSize);
    expect(a.layers[0].kProj.length).toBe(config.numKvHeads * config.headDim * config.hiddenSize);
    expect(a.layers[0].downProj.length).toBe(config.hiddenSize * config.intermediateSize);
    expect(a.lmHead).toBeUndefined();
    expect(createDecoderWeights({ ...config, tieWordEmbeddings: false }, { seed: 3 }).lmHead?.length).toBe(
      config.vocabSize * config.hiddenSize,
    );
  });

  test('scale sets the projection spread (std ≈ scale / sqrt(in))', () => {
    const wide = { ...config, hiddenSize: 64, intermediateSize: 64 };
    const std = (data: Float32Array) => Math.sqrt(data.reduce((sum, x) => sum + x * x, 0) / data.length);
    const w = createDecoderWeights(wide, { seed: 1, scale: 2 }).layers[0].gateProj;
    expect(std(w)).toBeGreaterThan(0.9 * (2 / 8));
    expect(std(w)).toBeLessThan(1.1 * (2 / 8));
  });
});

describe('typed errors', () => {
  const config = shapes['ratio 1, odd sizes, 1 layer, untied'];
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return isXError(error)
        ? { code: error.code, message: error.message }
        : { code: 'not an XError', message: String(error) };
    }
    return { code: 'no error', message: '' };
  };

  test('a bad config names the field', () => {
    const bad = codeOf(() => createDecoderWeights({ ...config, numKvHeads: 3 }, { seed: 1 }));
    expect(bad.code).toBe('X_INVALID_ARGUMENT');
    expect(bad.message).toContain('numKvHeads');
    expect(codeOf(() => createDecoderWeights({ ...config, headDim: 7 }, { seed: 1 })).message).toContain(
      'headDim',
    );
  });

  test('a wrongly sized weight names the weight', () => {
    const weights = createDecoderWeights(config, { seed: 1 });
    weights.layers[0].upProj = new Float32Array(5);
    const bad = codeOf(() => buildDecoderModel(config, weights));
    expect(bad.code).toBe('X_SHAPE_MISMATCH');
    expect(bad.message).toContain('layers[0].upProj');
  });

  test('an unknown form, and an out-of-range token in the reference, are rejected', () => {
    const weights = createDecoderWeights(config, { seed: 1 });
    expect(
      codeOf(() => buildDecoderModel(config, weights, { form: 'other' as DecoderForm })).message,
    ).toContain('form');
    expect(codeOf(() => referenceForward(config, weights, [[config.vocabSize]])).code).toBe(
      'X_INVALID_ARGUMENT',
    );
  });
});
