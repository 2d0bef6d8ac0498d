// Tiny ONNX models built directly with onnx-proto, plus their plain-TS reference forward passes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ModelProto, onnx, type TensorProto } from '../../src/onnx/proto';
import { createRng } from '../../src/rng';

export interface Weights {
  [name: string]: { dims: number[]; data: Float32Array };
}

function randomFloats(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.normal() * 0.5);
}

function valueInfo(name: string, dims: (number | string)[], elemType = 1) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  });
}

function rawInitializer(name: string, dims: number[], data: Float32Array): TensorProto {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: 1,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

/** The 2-layer MLP weights: x[b,16] -> W1[16,32] + b1 -> Relu -> W2[32,8] + b2. */
export function mlpWeights(seed = 1): Weights {
  return {
    W1: { dims: [16, 32], data: randomFloats(16 * 32, seed) },
    b1: { dims: [32], data: randomFloats(32, seed + 1) },
    W2: { dims: [32, 8], data: randomFloats(32 * 8, seed + 2) },
    b2: { dims: [8], data: randomFloats(8, seed + 3) },
  };
}

/** The MLP as a ModelProto with all initializers inline. Intermediate names: h (MatMul), h_bias, h_relu, o. */
export function buildMlp(
  weights = mlpWeights(),
  options: { domain?: string; valueInfo?: boolean } = {},
): ModelProto {
  const nodes = [
    { name: 'mm1', opType: 'MatMul', input: ['x', 'W1'], output: ['h'] },
    { name: 'add1', opType: 'Add', input: ['h', 'b1'], output: ['h_bias'] },
    { name: 'relu', opType: 'Relu', input: ['h_bias'], output: ['h_relu'], domain: options.domain ?? '' },
    { name: 'mm2', opType: 'MatMul', input: ['h_relu', 'W2'], output: ['o'] },
    { name: 'add2', opType: 'Add', input: ['o', 'b2'], output: ['y'] },
  ];
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'x-core-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'mlp',
      node: nodes,
      input: [valueInfo('x', ['batch', 16])],
      output: [valueInfo('y', ['batch', 8])],
      initializer: Object.entries(weights).map(([name, w]) => rawInitializer(name, w.dims, w.data)),
      valueInfo:
        options.valueInfo === false
          ? []
          : [valueInfo('h', ['batch', 32]), valueInfo('h_relu', ['batch', 32])],
    },
  });
}

/** Plain-TS reference: returns every intermediate of the MLP for input x [batch,16]. */
export function mlpReference(weights: Weights, x: Float32Array, batch: number): Record<string, Float32Array> {
  const matmul = (a: Float32Array, b: Float32Array, m: number, k: number, n: number) => {
    const out = new Float32Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
        out[i * n + j] = sum;
      }
    return out;
  };
  const addBias = (a: Float32Array, bias: Float32Array) => a.map((v, i) => v + bias[i % bias.length]);
  const h = matmul(x, weights.W1.data, batch, 16, 32);
  const hBias = addBias(h, weights.b1.data);
  const hRelu = hBias.map((v) => Math.max(0, v));
  const o = matmul(hRelu, weights.W2.data, batch, 32, 8);
  return { h, h_bias: hBias, h_relu: hRelu, o, y: addBias(o, weights.b2.data) };
}

/**
 * Writes the model with a hand-made external-data layout (independent of writeModel): each entry moves an
 * initializer to `location` at `offset` (zero padding before it).
 */
export function writeWithLayout(
  dir: string,
  proto: ModelProto,
  layout: Record<string, { location: string; offset: number }>,
  fileName = 'model.onnx',
): string {
  const files = new Map<string, Uint8Array[]>();
  const sizes = new Map<string, number>();
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(proto).finish());
  for (const tensor of copy.graph?.initializer ?? []) {
    const place = layout[tensor.name ?? ''];
    const raw = tensor.rawData;
    if (!place || !raw) continue;
    const size = sizes.get(place.location) ?? 0;
    if (place.offset < size) throw new Error('layout offsets must increase per file');
    const chunks = files.get(place.location) ?? [];
    chunks.push(new Uint8Array(place.offset - size), raw);
    files.set(place.location, chunks);
    sizes.set(place.location, place.offset + raw.byteLength);
    tensor.externalData = [
      { key: 'location', value: place.location },
      { key: 'offset', value: String(place.offset) },
      { key: 'length', value: String(raw.byteLength) },
    ];
    tensor.dataLocation = 1;
    tensor.rawData = new Uint8Array(0);
  }
  for (const [location, chunks] of files) {
    const path = join(dir, location);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.concat(chunks));
  }
  const modelPath = join(dir, fileName);
  writeFileSync(modelPath, onnx.ModelProto.encode(copy).finish());
  return modelPath;
}

/** Seeded input for the MLP. */
export function mlpInput(batch: number, seed = 99): Float32Array {
  return randomFloats(batch * 16, seed);
}
