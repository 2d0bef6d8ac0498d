import { describe, expect, it } from 'vitest';
import { createTensor, isXError, loadBackend, onnx, parseModel, unpackInt4 } from '../src/index';

// DequantizeLinear-21 with an int4 input: y = (x - 0) * scale.
function dequantizeModel() {
  const proto = onnx.ModelProto.create({
    irVersion: 10,
    opsetImport: [{ domain: '', version: 21 }],
    graph: {
      name: 'dq',
      node: [{ name: 'dq', opType: 'DequantizeLinear', input: ['x', 'scale'], output: ['y'] }],
      input: [{ name: 'x', type: { tensorType: { elemType: 22, shape: { dim: [{ dimValue: 5 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 5 }] } } } }],
      initializer: [{ name: 'scale', dataType: 1, dims: [], floatData: [0.5] }],
    },
  });
  return parseModel(onnx.ModelProto.encode(proto).finish());
}

describe.each(['node', 'web'] as const)('int4 feeds on %s', (name) => {
  it(
    name === 'web'
      ? 'are packed low nibble first and dequantize correctly'
      : 'are refused with a typed error',
    async () => {
      const backend = await loadBackend(name);
      const session = await backend.createSession(dequantizeModel());
      const x = createTensor('int4', [5], [1, -2, 3, -8, 7]);
      if (name === 'web') {
        const { y } = await session.run({ x });
        expect([...y.data]).toEqual([...unpackInt4(x.data, 5)].map((v) => v * 0.5));
      } else {
        try {
          await session.run({ x });
          expect.unreachable();
        } catch (e) {
          expect(isXError(e) && e.code).toBe('X_DTYPE_MISMATCH');
          expect((e as Error).message).toMatch(
            /feeds\.x is int4: onnxruntime-node 1.30 does not accept 4-bit tensors/,
          );
        }
      }
      await session.release();
    },
  );
});
