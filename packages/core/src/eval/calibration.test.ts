import { describe, expect, test } from 'vitest';
import { isXError } from '../errors';
import { sampleCalibrationSet } from './calibration';

const stream = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 4096);

describe('sampleCalibrationSet', () => {
  test('stream: exact-length windows of the stream at seeded offsets in 0..n−seqlen−1', () => {
    const set = sampleCalibrationSet(stream, { samples: 16, seqlen: 100, seed: 3 });
    expect(set.sequences).toHaveLength(16);
    for (const [index, sequence] of set.sequences.entries()) {
      const { start, document } = set.origins[index];
      expect(document).toBe(0);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(start).toBeLessThanOrEqual(1000 - 100 - 1);
      expect(sequence).toEqual(stream.slice(start, start + 100));
    }
    expect(set.options).toEqual({ samples: 16, seqlen: 100, seed: 3, source: 'stream' });
  });

  test('same seed, same set; another seed, another set; defaults are 128 × 2048, seed 0', () => {
    const a = sampleCalibrationSet(stream, { samples: 8, seqlen: 50, seed: 1 });
    expect(sampleCalibrationSet(stream, { samples: 8, seqlen: 50, seed: 1 })).toEqual(a);
    expect(sampleCalibrationSet(stream, { samples: 8, seqlen: 50, seed: 2 }).origins).not.toEqual(a.origins);
    const long = new Int32Array(3000);
    expect(sampleCalibrationSet(long).options).toEqual({
      samples: 128,
      seqlen: 2048,
      seed: 0,
      source: 'stream',
    });
  });

  test('documents: only documents longer than seqlen are drawn, all of them eventually', () => {
    const documents = [
      stream.slice(0, 50),
      stream.slice(0, 300),
      stream.slice(300, 301),
      stream.slice(400, 700),
    ];
    const set = sampleCalibrationSet({ documents }, { samples: 64, seqlen: 120, seed: 0 });
    const drawn = new Set(set.origins.map((origin) => origin.document));
    expect([...drawn].sort()).toEqual([1, 3]);
    for (const [index, { document, start }] of set.origins.entries()) {
      expect(set.sequences[index]).toEqual(documents[document].slice(start, start + 120));
    }
  });

  test('typed errors: text not longer than seqlen, bad options', () => {
    const short = () => sampleCalibrationSet(stream.slice(0, 100), { seqlen: 100 });
    expect(short).toThrow(/100 tokens/);
    try {
      short();
    } catch (error) {
      expect(isXError(error) && error.code).toBe('X_EVAL');
    }
    expect(() => sampleCalibrationSet({ documents: [stream.slice(0, 10)] }, { seqlen: 10 })).toThrow(
      /no document/,
    );
    expect(() => sampleCalibrationSet(stream, { samples: 0 })).toThrow(/samples/);
  });
});
