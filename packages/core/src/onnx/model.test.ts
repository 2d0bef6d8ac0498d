import { describe, expect, it } from 'vitest';
import { buildMlp } from '../../test/helpers/models';
import { isXError } from '../errors';
import { createTensor } from '../tensor/create-tensor';
import { isOnnxModel } from './model';
import { onnx } from './proto';
import { parseModel } from './read-model';
import { serializeForSession } from './serialize-for-session';

// A fresh buffer at offset 0, so raw_data offsets inside it decide alignment.
const bytes = new Uint8Array(onnx.ModelProto.encode(buildMlp()).finish());
const aligned = (model: ReturnType<typeof parseModel>, name: string) =>
  ((model.findInitializer(name)?.rawData?.byteOffset ?? 1) & 3) === 0;

describe('OnnxModel', () => {
  it('views inline initializers in the model bytes and replaces or adds initializers', () => {
    const model = parseModel(bytes);
    expect(isOnnxModel(model)).toBe(true);
    expect(isOnnxModel({ proto: {} })).toBe(false);
    // Zero-copy exactly when raw_data sits at a 4-byte aligned offset; a copy otherwise.
    for (const name of ['W1', 'b1', 'W2', 'b2']) {
      expect(model.getInitializer(name).data.buffer === bytes.buffer, name).toBe(aligned(model, name));
    }
    model.setInitializer('W1', createTensor('float32', [16, 32]));
    model.setInitializer('extra', createTensor('int64', [2], [1n, 2n]));
    expect(model.listInitializers().map((info) => [info.name, info.dtype, info.byteLength])).toEqual([
      ['W1', 'float32', 2048],
      ['b1', 'float32', 128],
      ['W2', 'float32', 1024],
      ['b2', 'float32', 32],
      ['extra', 'int64', 16],
    ]);
    expect((model.getInitializer('W1').data as Float32Array).every((v) => v === 0)).toBe(true);
    expect(() => model.getInitializer('nope')).toThrow(/no initializer named nope/);
  });

  it('clones the graph independently while sharing tensor bytes', () => {
    const model = parseModel(bytes);
    const copy = model.clone();
    expect(copy.findInitializer('W2')?.rawData?.buffer).toBe(bytes.buffer);
    copy.setInitializer('b2', createTensor('float32', [8]));
    copy.graph().node?.pop();
    expect(model.graph().node?.length).toBe(5);
    expect(model.getInitializer('b2').data).not.toEqual(new Float32Array(8));
    expect(new Uint8Array(onnx.ModelProto.encode(model.proto).finish())).toEqual(bytes);
  });

  it('needs baseDir or in-memory buffers for external data, and accepts buffers', () => {
    const model = parseModel(bytes);
    const serialized = serializeForSession(model, { location: 'weights.bin', sizeThreshold: 1000 });
    expect(serialized.externalData.map((file) => [file.path, file.data.byteLength])).toEqual([
      ['weights.bin', 2048 + 1024],
    ]);
    try {
      parseModel(serialized.bytes);
      expect.unreachable();
    } catch (e) {
      expect(isXError(e) && e.code).toBe('X_EXTERNAL_DATA');
      expect((e as Error).message).toMatch(
        /initializer W1 is stored in external file weights.bin.*without baseDir/,
      );
    }
    const reopened = parseModel(serialized.bytes, { externalData: serialized.externalData });
    expect(reopened.getInitializer('W2').data).toEqual(model.getInitializer('W2').data);
    expect(reopened.listInitializers()[2].location).toEqual({
      kind: 'external',
      file: 'weights.bin',
      offset: 2048,
      length: 1024,
    });
  });
});
