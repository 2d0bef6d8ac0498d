// Type-level check (run by tsc, trivially at runtime): the real onnxruntime modules satisfy @x's
// structural OrtModule/OrtTensorModule types, so `createBackend(name, ort)` and `toOrt(ort, ...)` need no casts.
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { expect, it } from 'vitest';
import { createTensor } from '../tensor/create-tensor';
import { fromOrt } from '../tensor/from-ort';
import { toOrt } from '../tensor/to-ort';
import { createBackend } from './create-backend';

it('accepts the real ORT module objects without casts', async () => {
  const node = createBackend('node', ortNode);
  const web = createBackend('web', ortWeb);
  expect([node.name, web.name]).toEqual(['node', 'web']);
  const tensor = createTensor('float32', [2], [1, 2]);
  expect(fromOrt(toOrt(ortNode, tensor)).data).toBe(tensor.data);
  expect(fromOrt(new ortWeb.Tensor('int32', Int32Array.of(3), [1])).dtype).toBe('int32');
});
