import { describe, expect, it } from 'vitest';
import { isXError } from '../errors';
import { createTensor } from '../tensor/create-tensor';
import type { Tensor } from '../tensor/tensor';
import { onnx, type TensorProto } from './proto';
import { readTensorBytes, tensorProtoToTensor, tensorToTensorProto } from './tensor-proto';

const roundTrip = (proto: TensorProto) => onnx.TensorProto.decode(onnx.TensorProto.encode(proto).finish());

describe('TensorProto <-> Tensor', () => {
  const tensors: Tensor[] = [
    createTensor('float32', [2, 2], [1.5, -2, 3, 4]),
    createTensor('float16', [3], [0.5, -1, 65504]),
    createTensor('int8', [2], [-128, 127]),
    createTensor('uint8', [2], [0, 255]),
    createTensor('int16', [1], [-32768]),
    createTensor('int32', [2], [-(2 ** 31), 2 ** 31 - 1]),
    createTensor('int64', [2], [-(2n ** 63n), 2n ** 62n + 5n]),
    createTensor('uint32', [1], [2 ** 32 - 1]),
    createTensor('bool', [3], [1, 0, 1]),
    createTensor('int4', [3], [-8, 7, 1]),
    createTensor('uint4', [2, 2], [15, 0, 3, 9]),
    createTensor('float32', [0, 4]),
    createTensor('int32', []),
  ];

  it.each(tensors.map((tensor) => [`${tensor.dtype} [${tensor.dims}]`, tensor] as const))(
    'raw_data survives encode/decode for %s',
    (_, tensor) => {
      const back = tensorProtoToTensor(roundTrip(tensorToTensorProto('t', tensor)), undefined);
      expect(back.dtype).toBe(tensor.dtype);
      expect(back.dims).toEqual(tensor.dims);
      expect(back.data).toEqual(tensor.data);
    },
  );

  it('reads the typed *_data fields the same as raw_data', () => {
    const cases: [TensorProto, Tensor][] = [
      [{ name: 'f', dataType: 1, dims: [2], floatData: [1.5, -2] }, createTensor('float32', [2], [1.5, -2])],
      [
        { name: 'h', dataType: 10, dims: [2], int32Data: [0x3c00, 0xc000] },
        createTensor('float16', [2], [1, -2]),
      ],
      [{ name: 'i8', dataType: 3, dims: [2], int32Data: [-1, 5] }, createTensor('int8', [2], [-1, 5])],
      [{ name: 'b', dataType: 9, dims: [2], int32Data: [1, 0] }, createTensor('bool', [2], [1, 0])],
      [
        { name: 'i64', dataType: 7, dims: [2], int64Data: [-3, 2 ** 40] },
        createTensor('int64', [2], [-3n, 2n ** 40n]),
      ],
      [{ name: 'u32', dataType: 12, dims: [1], uint64Data: [4e9] }, createTensor('uint32', [1], [4e9])],
      [
        { name: 'q', dataType: 22, dims: [3], int32Data: [0xe1, 0x03] },
        createTensor('int4', [3], [1, -2, 3]),
      ],
    ];
    for (const [proto, expected] of cases) {
      const back = tensorProtoToTensor(roundTrip(onnx.TensorProto.create(proto)), undefined);
      expect(back.data, proto.name ?? '').toEqual(expected.data);
    }
  });

  it('views aligned raw data without copying and copies misaligned data', () => {
    const bytes = new Uint8Array(17);
    new DataView(bytes.buffer).setFloat32(1, 7.25, true);
    const misaligned = onnx.TensorProto.create({
      name: 'm',
      dataType: 1,
      dims: [1],
      rawData: bytes.subarray(1, 5),
    });
    const copied = tensorProtoToTensor(misaligned, undefined);
    expect(copied.data).toEqual(Float32Array.of(7.25));
    expect(copied.data.buffer).not.toBe(bytes.buffer);
    const aligned = onnx.TensorProto.create({
      name: 'a',
      dataType: 1,
      dims: [3],
      rawData: bytes.subarray(4, 16),
    });
    expect(tensorProtoToTensor(aligned, undefined).data.buffer).toBe(bytes.buffer);
  });

  it('names the tensor when stored sizes are wrong or the type is unsupported', () => {
    const codeAndMessage = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        if (isXError(e)) return `${e.code} ${e.message}`;
      }
      return 'no XError';
    };
    expect(
      codeAndMessage(() =>
        readTensorBytes({ name: 'w', dataType: 1, dims: [4], rawData: new Uint8Array(12) }, undefined),
      ),
    ).toMatch(/X_MODEL_CORRUPT initializer w: raw_data has 12 bytes, its float32 dims need 16/);
    expect(
      codeAndMessage(() => readTensorBytes({ name: 'v', dataType: 1, dims: [2], floatData: [1] }, undefined)),
    ).toMatch(/X_MODEL_CORRUPT initializer v: float_data has 1 values/);
    expect(
      codeAndMessage(() =>
        tensorProtoToTensor({ name: 'd', dataType: 11, dims: [1], doubleData: [1] }, undefined),
      ),
    ).toMatch(/X_DTYPE_MISMATCH initializer d has type float64/);
    // float64 still has raw bytes (for writing) even though @x tensors do not model it.
    expect(
      readTensorBytes({ name: 'd', dataType: 11, dims: [1], doubleData: [1] }, undefined).byteLength,
    ).toBe(8);
  });
});
