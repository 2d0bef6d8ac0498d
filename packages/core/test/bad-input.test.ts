import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, isXError, onnx, parseModel, readModel, writeModel } from '../src/index';
import { buildMlp, writeWithLayout } from './helpers/models';
import { useTempDir } from './helpers/tmp-dir';

const tempDir = useTempDir();

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (e) {
    if (isXError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a rejection');
}

function externalModel(): { dir: string; path: string } {
  const dir = tempDir();
  const path = writeWithLayout(dir, buildMlp(), {
    W1: { location: 'model.onnx_data', offset: 0 },
    W2: { location: 'model.onnx_data', offset: 2048 },
  });
  return { dir, path };
}

describe('bad inputs give typed errors that name what is wrong', () => {
  it('missing model file: X_MODEL_READ naming the file', async () => {
    const path = join(tempDir(), 'nope.onnx');
    const e = await rejection(readModel(path));
    expect(e.code).toBe('X_MODEL_READ');
    expect(e.message).toContain(path);
  });

  it('truncated file: X_MODEL_CORRUPT naming the file', async () => {
    const { path } = externalModel();
    const bytes = readFileSync(path);
    for (const cut of [bytes.length - 3, Math.floor(bytes.length / 2), 7]) {
      writeFileSync(path, bytes.subarray(0, cut));
      const e = await rejection(readModel(path));
      expect(e.code).toBe('X_MODEL_CORRUPT');
      expect(e.message).toContain('model.onnx');
    }
  });

  it('garbage bytes: X_MODEL_CORRUPT naming the file', async () => {
    const rng = createRng(5);
    const dir = tempDir();
    const samples = [
      Buffer.from('this is not an onnx model at all\n'),
      Buffer.from(Uint8Array.from({ length: 4096 }, () => rng.int(256))),
      Buffer.from(JSON.stringify({ graph: {} })),
      Buffer.alloc(0),
    ];
    for (const [i, sample] of samples.entries()) {
      const path = join(dir, `garbage-${i}.onnx`);
      writeFileSync(path, sample);
      const e = await rejection(readModel(path));
      expect(e.code, `sample ${i}`).toBe('X_MODEL_CORRUPT');
      expect(e.message).toContain(`garbage-${i}.onnx`);
    }
  });

  it('missing external-data file: X_EXTERNAL_DATA naming tensor and file', async () => {
    const { dir, path } = externalModel();
    rmSync(join(dir, 'model.onnx_data'));
    const e = await rejection(readModel(path));
    expect(e.code).toBe('X_EXTERNAL_DATA');
    expect(e.message).toMatch(/initializer W1/);
    expect(e.message).toContain('model.onnx_data');
  });

  it('offsets or length beyond the file: X_EXTERNAL_DATA naming tensor and file', async () => {
    const { dir, path } = externalModel();
    // Shrink the data file so W2's range [2048, 3072) no longer fits.
    const dataPath = join(dir, 'model.onnx_data');
    writeFileSync(dataPath, readFileSync(dataPath).subarray(0, 2500));
    const e = await rejection(readModel(path));
    expect(e.code).toBe('X_EXTERNAL_DATA');
    expect(e.message).toMatch(
      /initializer W2: external data range \[2048, 3072\) lies beyond the end of model.onnx_data \(2500 bytes\)/,
    );

    // A length field that disagrees with the dims is reported when the tensor is read.
    const proto = onnx.ModelProto.decode(readFileSync(path));
    const w1 = proto.graph?.initializer?.find((tensor) => tensor.name === 'W1');
    if (!w1) throw new Error('fixture');
    w1.externalData = [
      { key: 'location', value: 'model.onnx_data' },
      { key: 'offset', value: 'x12' },
    ];
    const e2 = await rejection(
      (async () =>
        parseModel(onnx.ModelProto.encode(proto).finish(), { baseDir: dir, fileName: 'bad.onnx' }))(),
    );
    expect(e2.code).toBe('X_EXTERNAL_DATA');
    expect(e2.message).toMatch(/W1: external_data offset is "x12"/);
  });

  it('external data outside the model directory is refused', async () => {
    const proto = buildMlp();
    const w1 = proto.graph?.initializer?.[0];
    if (!w1) throw new Error('fixture');
    w1.rawData = new Uint8Array(0);
    w1.dataLocation = 1;
    w1.externalData = [{ key: 'location', value: '../../etc/passwd' }];
    const e = await rejection(
      (async () => parseModel(onnx.ModelProto.encode(proto).finish(), { baseDir: tempDir() }))(),
    );
    expect(e.code).toBe('X_EXTERNAL_DATA');
    expect(e.message).toMatch(/escapes the model directory/);
  });

  it('unknown op domain: X_GRAPH naming the node and domain', async () => {
    const bytes = onnx.ModelProto.encode(buildMlp(undefined, { domain: 'com.example' })).finish();
    const e = await rejection((async () => parseModel(bytes, { fileName: 'custom.onnx' }))());
    expect(e.code).toBe('X_GRAPH');
    expect(e.message).toMatch(/custom.onnx: node relu \(Relu\) uses op domain "com.example"/);
  });

  it('writing over the input is refused and leaves the input bytes unchanged', async () => {
    const { dir, path } = externalModel();
    const dataPath = join(dir, 'model.onnx_data');
    const before = [readFileSync(path), readFileSync(dataPath)];
    const model = await readModel(path);
    const e1 = await rejection(writeModel(model, path));
    expect(e1.code).toBe('X_MODEL_WRITE');
    expect(e1.message).toContain('the model file it was read from');
    // Writing elsewhere in the same directory under a name whose data file would be the input's data file.
    const e2 = await rejection(
      writeModel(model, join(dir, 'copy.onnx'), { externalData: { location: 'model.onnx_data' } }),
    );
    expect(e2.code).toBe('X_MODEL_WRITE');
    expect(e2.message).toContain('external-data file model.onnx_data');
    // Via a different spelling of the same path.
    const e3 = await rejection(writeModel(model, join(dir, '.', 'sub', '..', 'model.onnx')));
    expect(e3.code).toBe('X_MODEL_WRITE');
    expect(readFileSync(path)).toEqual(before[0]);
    expect(readFileSync(dataPath)).toEqual(before[1]);
    model.close();
  });
});
