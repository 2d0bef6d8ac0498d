import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBackendWith } from '../src/backend/load-backend';
import { createTensor, isXError, loadBackend, onnx, readModel, serializeForSession } from '../src/index';
import { buildMlp, mlpInput, mlpReference, mlpWeights, writeWithLayout } from './helpers/models';
import { maxAbsDiff, useTempDir } from './helpers/tmp-dir';

const tempDir = useTempDir();
const weights = mlpWeights();
const x = mlpInput(2);
const reference = mlpReference(weights, x, 2);

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; details?: unknown }> {
  try {
    await promise;
  } catch (e) {
    if (isXError(e)) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('loadBackend', () => {
  it('loads each backend once and honours the preference order', async () => {
    const node = await loadBackend('node');
    expect(node.name).toBe('node');
    expect(await loadBackend('node')).toBe(node);
    expect((await loadBackend({ prefer: ['web', 'node'] })).name).toBe('web');
    expect((await loadBackend()).name).toBe('node');
  });

  it('lists every failure and the package to install in one X_BACKEND_UNAVAILABLE', async () => {
    const importer = async (name: string) => {
      throw new Error(`Cannot find package 'onnxruntime-${name}'`);
    };
    const e = await rejection(loadBackendWith({ prefer: ['node', 'web'] }, importer, new Map()));
    expect(e.code).toBe('X_BACKEND_UNAVAILABLE');
    expect(e.message).toMatch(
      /node: Cannot find package 'onnxruntime-node' \(install it: npm install onnxruntime-node\)/,
    );
    expect(e.message).toMatch(/web: .*npm install onnxruntime-web/);
    // Falls through to the next backend when the first fails.
    const partial = async (name: string) => {
      if (name === 'node') throw new Error('no binary for this platform');
      return import('onnxruntime-web');
    };
    expect((await loadBackendWith({ prefer: ['node', 'web'] }, partial, new Map())).name).toBe('web');
    expect((await rejection(loadBackend('cuda' as 'node'))).code).toBe('X_INVALID_ARGUMENT');
  });
});

describe.each(['node', 'web'] as const)('sessions on %s', (name) => {
  it('opens bytes plus in-memory external data, reports metadata and converts at the boundary', async () => {
    const backend = await loadBackend(name);
    const dir = tempDir();
    const path = writeWithLayout(dir, buildMlp(weights), { W1: { location: 'model.onnx_data', offset: 0 } });
    const session = await backend.createSession(readFileSync(path), {
      threads: 1,
      externalData: [{ path: 'model.onnx_data', data: readFileSync(join(dir, 'model.onnx_data')) }],
    });
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    expect(session.inputMetadata[0]).toMatchObject({
      name: 'x',
      isTensor: true,
      type: 'float32',
      shape: ['batch', 16],
    });
    const { y } = await session.run({ x: createTensor('float32', [2, 16], x) });
    expect(y.dtype).toBe('float32');
    expect(maxAbsDiff(y.data as Float32Array, reference.y)).toBeLessThan(1e-5);

    const wrongShape = await rejection(
      session.run({ x: { dtype: 'float32', dims: [2, 16], data: new Float32Array(31) } }),
    );
    expect(wrongShape.code).toBe('X_SHAPE_MISMATCH');
    expect(wrongShape.message).toMatch(/feeds\.x/);
    const unknownFeed = await rejection(session.run({ z: createTensor('float32', [1]) }));
    expect(unknownFeed.message).toMatch(/feeds\.z is not an input/);
    const badFetch = await rejection(session.run({ x: createTensor('float32', [2, 16], x) }, ['h']));
    expect(badFetch.code).toBe('X_INVALID_ARGUMENT');
    expect(badFetch.message).toMatch(
      /h, which is not a graph output; add intermediate values with addGraphOutputs/,
    );
    await session.release();
  });

  it('opens an edited in-memory model (serializeForSession) without touching disk', async () => {
    const backend = await loadBackend(name);
    const model = await readModel(
      writeWithLayout(tempDir(), buildMlp(weights), { W2: { location: 'w2.bin', offset: 64 } }),
    );
    // Edit: zero the output bias, so y must equal o.
    model.setInitializer('b2', createTensor('float32', [8]));
    const serialized = serializeForSession(model, { sizeThreshold: 500 });
    expect(serialized.externalData.map((file) => file.path)).toEqual(['model.onnx_data']);
    // W1 (2048 B) at 0, W2 (1024 B) at 2048; the biases stay inline.
    expect(serialized.externalData[0].data.byteLength).toBe(2048 + 1024);
    const session = await backend.createSession(model);
    const { y } = await session.run({ x: createTensor('float32', [2, 16], x) });
    expect(maxAbsDiff(y.data as Float32Array, reference.o)).toBeLessThan(1e-5);
    await session.release();
    model.close();
  });

  it('wraps ORT failures in X_SESSION naming the model', async () => {
    const backend = await loadBackend(name);
    const bytes = onnx.ModelProto.encode(buildMlp(weights)).finish();
    const broken = bytes.slice();
    const e = await rejection(backend.createSession(broken.subarray(0, 40)));
    expect(e.code).toBe('X_SESSION');
    expect(e.message).toMatch(new RegExp(`${name} backend could not open model bytes`));
  });
});
