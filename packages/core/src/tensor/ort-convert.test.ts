import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { isXError } from '../errors';
import { createTensor } from './create-tensor';
import { fromOrt } from './from-ort';
import type { Tensor } from './tensor';
import { type OrtTensorModule, toOrt } from './to-ort';

const runtimes = { node: ortNode as unknown as OrtTensorModule, web: ortWeb as unknown as OrtTensorModule };

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isXError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
}

describe.each(['node', 'web'] as const)('toOrt / fromOrt on %s', (name) => {
  const ort = runtimes[name];

  it('converts without copying, for every dtype the runtime accepts', () => {
    const tensors: Tensor[] = [
      createTensor('float32', [2, 2], [1, 2, 3, 4]),
      createTensor('float16', [2], [0.5, 2]),
      createTensor('int8', [3], [-1, 0, 1]),
      createTensor('uint8', [1], [255]),
      createTensor('int16', [1], [-300]),
      createTensor('int32', [1], [7]),
      createTensor('int64', [2], [1n, -(2n ** 40n)]),
      createTensor('uint32', [1], [4e9]),
      createTensor('bool', [2], [1, 0]),
    ];
    if (name === 'web') tensors.push(createTensor('int4', [3], [1, -2, 3]));
    for (const tensor of tensors) {
      const o = toOrt(ort, tensor);
      expect(o.type).toBe(tensor.dtype);
      expect(o.data).toBe(tensor.data);
      const back = fromOrt(o);
      expect(back.data).toBe(tensor.data);
      expect(back.dims).toEqual(tensor.dims);
    }
  });

  it('gives typed errors naming the argument for wrong dtype or shape', () => {
    const wrongLength = { dtype: 'float32', dims: [2, 3], data: new Float32Array(5) } as Tensor;
    const e1 = errorOf(() => toOrt(ort, wrongLength, 'feeds.x'));
    expect(e1.code).toBe('X_SHAPE_MISMATCH');
    expect(e1.message).toMatch(/feeds\.x has dims \[2, 3\]/);
    const wrongArray = { dtype: 'float32', dims: [2], data: new Float64Array(2) } as unknown as Tensor;
    const e2 = errorOf(() => toOrt(ort, wrongArray, 'feeds.x'));
    expect(e2.code).toBe('X_DTYPE_MISMATCH');
    expect(e2.message).toMatch(/feeds\.x is float32 but its data is a Float64Array/);
    const unknown = { dtype: 'complex64', dims: [1], data: new Float32Array(2) } as unknown as Tensor;
    expect(errorOf(() => toOrt(ort, unknown)).code).toBe('X_DTYPE_MISMATCH');
    const e3 = errorOf(() => fromOrt(new ortWeb.Tensor('float64', new Float64Array(1), [1])));
    expect(e3.message).toMatch(/float64/);
  });

  if (name === 'node') {
    it('rejects int4 feeds with a clear error on onnxruntime-node', () => {
      const e = errorOf(() => toOrt(ort, createTensor('int4', [2], [1, 2]), 'feeds.w'));
      expect(e.code).toBe('X_DTYPE_MISMATCH');
      expect(e.message).toMatch(/feeds\.w is int4: onnxruntime-node/);
    });
  }
});
