// One linear layer through each numeric core, beside ORT's cost of the layer's forward over the same calibration
// tokens (the work the calibration pass itself needs).
import { createRng, createTensor, loadBackend, onnx, parseModel } from '@x/core';
import {
  createLayerStatisticsAccumulator,
  magnitudeMethod,
  pruneSparseGpt,
  refineMaskDsnot,
  wandaMethod,
} from '../src/index';
import { emit, medians } from './timing';

function randomArray(length: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.normal() * scale);
}

/** y = x · Wᵀ as an ONNX MatMul with the weight stored [in, out]. */
function matmulModel(rows: number, columns: number, weight: Float32Array) {
  const transposed = new Float32Array(rows * columns);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < columns; j++) transposed[j * rows + i] = weight[i * columns + j];
  const tensor = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: 1,
          shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
  const graph = onnx.GraphProto.create({
    name: 'linear',
    node: [onnx.NodeProto.create({ opType: 'MatMul', input: ['x', 'w'], output: ['y'], name: 'matmul' })],
    initializer: [
      onnx.TensorProto.create({
        name: 'w',
        dims: [columns, rows],
        dataType: 1,
        rawData: new Uint8Array(transposed.buffer),
      }),
    ],
    input: [tensor('x', ['tokens', columns])],
    output: [tensor('y', ['tokens', rows])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph });
  return parseModel(onnx.ModelProto.encode(model).finish());
}

export async function benchCores(): Promise<void> {
  const samples = 8;
  const seqlen = 256;
  for (const [rows, columns] of [
    [512, 512],
    [1024, 1024],
    [1024, 2816],
  ]) {
    const weight = { data: randomArray(rows * columns, 1, 1 / Math.sqrt(columns)), rows, columns };
    const batches = Array.from({ length: samples }, (_, s) => randomArray(seqlen * columns, 10 + s));
    const collect = (kinds: Parameters<typeof createLayerStatisticsAccumulator>[1]) => {
      const accumulator = createLayerStatisticsAccumulator(columns, kinds);
      for (const batch of batches) accumulator.add(batch, seqlen);
      return accumulator.result();
    };
    const statistics = collect(['input-norms', 'moments', 'hessian']);
    const pattern = { kind: 'unstructured', sparsity: 0.5 } as const;
    const wanda = wandaMethod.prune(weight, statistics, pattern);
    const backend = await loadBackend('node');
    const session = await backend.createSession(matmulModel(rows, columns, weight.data));
    const feeds = batches.map((batch) => ({ x: createTensor('float32', [seqlen, columns], batch) }));
    const ms = await medians(
      {
        ortForwardCalibration: async () => {
          for (const feed of feeds) await session.run(feed);
        },
        statsNormsMoments: () => collect(['input-norms', 'moments']),
        statsHessian: () => collect(['hessian']),
        magnitude: () => magnitudeMethod.prune(weight, undefined, pattern),
        wanda: () => wandaMethod.prune(weight, statistics, pattern),
        sparsegpt: () => pruneSparseGpt(weight, statistics.hessian as Float64Array, pattern),
        dsnot: () => refineMaskDsnot({ weight, mask: wanda.mask, pattern, statistics }),
      },
      { warmup: 1, samples: columns > 1024 ? 3 : 5 },
    );
    await session.release();
    for (const [name, value] of Object.entries(ms)) {
      if (name === 'ortForwardCalibration') continue;
      emit({
        bench: 'cores',
        shape: `${rows}x${columns}`,
        tokens: samples * seqlen,
        step: name,
        ms: value,
        ortForwardCalibrationMs: ms.ortForwardCalibration,
        ratioToOrt: Number((value / ms.ortForwardCalibration).toFixed(2)),
      });
    }
  }
}
