/**
 * One-node ONNX models for the ORT baselines, built with onnx-proto (IR 8, opset 17 +
 * com.microsoft 1): MatMul with a constant B, and MatMulNBits in ORT's layout.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = 1;
const UINT8 = 2;
const INT8 = 3;
const INT32 = 6;

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function encode(
  nodes: onnxProto.onnx.INodeProto[],
  initializers: onnxProto.onnx.ITensorProto[],
  inputs: onnxProto.onnx.IValueInfoProto[],
  outputs: onnxProto.onnx.IValueInfoProto[],
): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: 'bench',
    node: nodes,
    initializer: initializers,
    input: inputs,
    output: outputs,
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

function valueInfo(name: string, dims: number[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

/** Y[m, n] = A[m, k] · B[k, n] with B a constant initializer. */
export function matMulModel(m: number, k: number, n: number, b: Float32Array): Uint8Array {
  return encode(
    [{ opType: 'MatMul', input: ['A', 'B'], output: ['Y'] }],
    [{ name: 'B', dataType: FLOAT, dims: [k, n], rawData: bytesOf(b) }],
    [valueInfo('A', [m, k])],
    [valueInfo('Y', [m, n])],
  );
}

/** Y[m, n] = A · dequant(B) with com.microsoft MatMulNBits (B [n, kBlocks, blob] uint8, scales [n*kBlocks]). */
export function matMulNBitsModel(
  m: number,
  k: number,
  n: number,
  bits: number,
  blockSize: number,
  packed: Uint8Array,
  scales: Float32Array,
  zeroPoints?: Uint8Array,
): Uint8Array {
  const kBlocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const initializers: onnxProto.onnx.ITensorProto[] = [
    { name: 'B', dataType: UINT8, dims: [n, kBlocks, blob], rawData: bytesOf(packed) },
    { name: 'scales', dataType: FLOAT, dims: [n * kBlocks], rawData: bytesOf(scales) },
  ];
  const inputs = ['A', 'B', 'scales'];
  if (zeroPoints !== undefined) {
    initializers.push({
      name: 'zp',
      dataType: UINT8,
      dims: [zeroPoints.length],
      rawData: bytesOf(zeroPoints),
    });
    inputs.push('zp');
  }
  return encode(
    [
      {
        opType: 'MatMulNBits',
        domain: 'com.microsoft',
        input: inputs,
        output: ['Y'],
        attribute: [
          { name: 'K', type: onnx.AttributeProto.AttributeType.INT, i: k },
          { name: 'N', type: onnx.AttributeProto.AttributeType.INT, i: n },
          { name: 'bits', type: onnx.AttributeProto.AttributeType.INT, i: bits },
          { name: 'block_size', type: onnx.AttributeProto.AttributeType.INT, i: blockSize },
        ],
      },
    ],
    initializers,
    [valueInfo('A', [m, k])],
    [valueInfo('Y', [m, n])],
  );
}

/** Y[m, n] int32 = A[m, k] int8 · B[k, n] int8 (ONNX MatMulInteger, zero points omitted = 0). */
export function matMulIntegerModel(m: number, k: number, n: number, b: Int8Array): Uint8Array {
  return encode(
    [{ opType: 'MatMulInteger', input: ['A', 'B'], output: ['Y'] }],
    [{ name: 'B', dataType: INT8, dims: [k, n], rawData: bytesOf(b) }],
    [
      {
        name: 'A',
        type: { tensorType: { elemType: INT8, shape: { dim: [{ dimValue: m }, { dimValue: k }] } } },
      },
    ],
    [
      {
        name: 'Y',
        type: { tensorType: { elemType: INT32, shape: { dim: [{ dimValue: m }, { dimValue: n }] } } },
      },
    ],
  );
}
