import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTensor, loadBackend, readModel, writeModel } from '../src/index';
import { buildMlp, mlpInput, mlpReference, mlpWeights, writeWithLayout } from './helpers/models';
import { maxAbsDiff, useTempDir } from './helpers/tmp-dir';

const tempDir = useTempDir();
const weights = mlpWeights();
const batch = 3;
const x = mlpInput(batch);
const expected = mlpReference(weights, x, batch).y;

/** A model on disk with hand-placed external data: relative subdirectory, non-zero offsets, inline bias. */
function handMadeModel(): string {
  return writeWithLayout(tempDir(), buildMlp(weights), {
    W1: { location: 'weights/w1.bin', offset: 128 },
    W2: { location: 'model.onnx_data', offset: 0 },
    b2: { location: 'model.onnx_data', offset: 1056 },
  });
}

describe('read -> write round trip with external data', () => {
  it('reads hand-placed external data byte for byte, lazily and zero-copy inline', async () => {
    const model = await readModel(handMadeModel());
    for (const [name, w] of Object.entries(weights)) {
      const tensor = model.getInitializer(name);
      expect(tensor.dtype).toBe('float32');
      expect(tensor.dims).toEqual(w.dims);
      expect(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)).toEqual(
        Buffer.from(w.data.buffer),
      );
    }
    const list = model.listInitializers();
    expect(list.map((info) => [info.name, info.location])).toEqual([
      ['W1', { kind: 'external', file: 'weights/w1.bin', offset: 128, length: 2048 }],
      ['b1', { kind: 'inline' }],
      ['W2', { kind: 'external', file: 'model.onnx_data', offset: 0, length: 1024 }],
      ['b2', { kind: 'external', file: 'model.onnx_data', offset: 1056, length: 32 }],
    ]);
    expect(list[0].byteLength).toBe(16 * 32 * 4);
    model.close();
  });

  it('splits into several files named as transformers.js expects, with identical tensors', async () => {
    const source = await readModel(handMadeModel());
    const out = join(tempDir(), 'nested', 'model.onnx');
    const result = await writeModel(source, out, {
      externalData: { maxFileBytes: 1100, sizeThreshold: 200 },
    });
    // W1 (2048 B) alone, W2 (1024 B) alone; b1/b2 (128/32 B) stay under the threshold, inline.
    expect(result.externalDataFiles).toEqual(['model.onnx_data', 'model.onnx_data_1']);
    expect(result.externalDataFileCount).toBe(2);
    expect(result.options.externalData).toEqual({
      location: 'model.onnx_data',
      maxFileBytes: 1100,
      sizeThreshold: 200,
    });
    expect(readdirSync(join(out, '..')).sort()).toEqual([
      'model.onnx',
      'model.onnx_data',
      'model.onnx_data_1',
    ]);
    const written = await readModel(out);
    for (const name of Object.keys(weights)) {
      expect(written.getInitializer(name).data).toEqual(source.getInitializer(name).data);
    }
    expect(written.listInitializers().map((info) => info.location.kind)).toEqual([
      'external',
      'inline',
      'external',
      'inline',
    ]);
    // A second round trip (external -> external, with aligned offsets in one file) is byte-stable.
    const again = join(tempDir(), 'model.onnx');
    const second = await writeModel(written, again, { externalData: { sizeThreshold: 0 } });
    expect(second.externalDataFiles).toEqual(['model.onnx_data']);
    const offsets = (await readModel(again))
      .listInitializers()
      .map((info) => (info.location as { offset: number }).offset);
    expect(offsets.every((offset) => offset % 64 === 0)).toBe(true);
    const third = join(tempDir(), 'model.onnx');
    await writeModel(await readModel(again), third, { externalData: { sizeThreshold: 0 } });
    expect(readFileSync(third)).toEqual(readFileSync(again));
    expect(readFileSync(`${third}_data`)).toEqual(readFileSync(`${again}_data`));
    source.close();
    written.close();
  });

  it('can inline everything (externalData: false) and writes no temp files behind', async () => {
    const source = await readModel(handMadeModel());
    const dir = tempDir();
    const result = await writeModel(source, join(dir, 'inline.onnx'), { externalData: false });
    expect(result.externalDataFileCount).toBe(0);
    expect(readdirSync(dir)).toEqual(['inline.onnx']);
    const inline = await readModel(join(dir, 'inline.onnx'));
    expect(inline.listInitializers().every((info) => info.location.kind === 'inline')).toBe(true);
    expect(inline.getInitializer('W2').data).toEqual(weights.W2.data);
  });

  describe.each(['node', 'web'] as const)('on %s', (name) => {
    it('gives the same outputs as the reference before and after the round trip', async () => {
      const backend = await loadBackend(name);
      const source = handMadeModel();
      const out = join(tempDir(), 'model.onnx');
      await writeModel(await readModel(source), out, {
        externalData: { maxFileBytes: 1100, sizeThreshold: 100 },
      });
      const feeds = { x: createTensor('float32', [batch, 16], x) };
      for (const model of [source, out, await readModel(out)]) {
        const session = await backend.createSession(model, { graphOptimizationLevel: 'disabled' });
        const { y } = await session.run(feeds);
        expect(y.dims).toEqual([batch, 8]);
        expect(maxAbsDiff(y.data as Float32Array, expected)).toBeLessThan(1e-5);
        await session.release();
      }
    });
  });
});
