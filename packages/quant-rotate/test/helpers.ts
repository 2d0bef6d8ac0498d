/** Shared helpers of the integration tests: tiny ONNX models run on both ORT backends. */
import { createTensor, loadBackend, OnnxModel, onnx, type Tensor, type ValueInfoProto } from '@x/core';

export const backends = ['node', 'web'] as const;

export function floatInput(name: string, dims: readonly (number | string)[]): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

/** An empty opset-17 model (+ com.microsoft 1) with the given float inputs and outputs. */
export function emptyModel(
  inputs: [string, (number | string)[]][],
  outputs: [string, (number | string)[]][],
) {
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: '@x/quant-rotate tests',
    graph: {
      name: 'test',
      input: inputs.map(([n, d]) => floatInput(n, d)),
      output: outputs.map(([n, d]) => floatInput(n, d)),
      node: [],
      initializer: [],
    },
  });
  return new OnnxModel(proto);
}

export async function runModel(
  backendName: (typeof backends)[number],
  model: OnnxModel,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Tensor>> {
  const backend = await loadBackend(backendName);
  const session = await backend.createSession(model, { threads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

export function floatTensor(dims: number[], data: ArrayLike<number>): Tensor {
  return createTensor('float32', dims, Float32Array.from(data));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])));
  return m;
}
