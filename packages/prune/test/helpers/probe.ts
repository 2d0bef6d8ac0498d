// Test-only: fetch a projection's inputs out of full-model runs, and read masks back from written weights.
import {
  addGraphOutputs,
  createTensor,
  findDecoderAnatomy,
  loadBackend,
  type OnnxModel,
  type ProjectionAnatomy,
} from '@x/core';
import { readLinearWeight } from '../../src/model/linear-weight';
import { calibrationSequences, tinyConfig } from './decoder';

export const calibration = calibrationSequences(4, 12);

export function projectionsOf(
  model: OnnxModel,
): { layer: number; name: string; projection: ProjectionAnatomy }[] {
  const anatomy = findDecoderAnatomy(model.proto);
  return anatomy.layers.flatMap((layer) =>
    (['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const).map((name) => ({
      layer: layer.index,
      name,
      projection: layer[name],
    })),
  );
}

/** The projection's input over the calibration set, fetched out of full-model runs: one array per sequence. */
export async function fetchInputs(model: OnnxModel, projection: ProjectionAnatomy): Promise<Float32Array[]> {
  const probe = model.clone();
  addGraphOutputs(probe, [projection.input]);
  const backend = await loadBackend('node');
  const session = await backend.createSession(probe, { graphOptimizationLevel: 'disabled' });
  const result: Float32Array[] = [];
  for (const tokens of calibration) {
    const feeds: Record<string, ReturnType<typeof createTensor>> = {
      input_ids: createTensor('int64', [1, tokens.length], BigInt64Array.from(tokens, BigInt)),
      attention_mask: createTensor('int64', [1, tokens.length], new BigInt64Array(tokens.length).fill(1n)),
      position_ids: createTensor(
        'int64',
        [1, tokens.length],
        BigInt64Array.from(tokens, (_, i) => BigInt(i)),
      ),
    };
    for (let layer = 0; layer < tinyConfig.numLayers; layer++) {
      for (const kind of ['key', 'value']) {
        const dims = [1, tinyConfig.numKvHeads, 0, tinyConfig.headDim];
        feeds[`past_key_values.${layer}.${kind}`] = createTensor('float32', dims);
      }
    }
    const values = await session.run(feeds, [projection.input]);
    result.push(values[projection.input].data as Float32Array);
  }
  await session.release();
  return result;
}

/** Plain reference: Wanda's mask from the layer inputs fetched out of a full-model run. */
export async function wandaMaskFrom(
  model: OnnxModel,
  projection: ProjectionAnatomy,
  dense: Float32Array,
  sparsity: number,
) {
  const columns = projection.inFeatures;
  const norms = new Float64Array(columns);
  for (const x of await fetchInputs(model, projection)) {
    for (let k = 0; k < x.length; k++) norms[k % columns] += x[k] * x[k];
  }
  const rows = projection.outFeatures;
  const mask = new Uint8Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const order = Array.from({ length: columns }, (_, j) => j).sort(
      (a, b) =>
        Math.abs(dense[i * columns + a]) * Math.sqrt(norms[a]) -
          Math.abs(dense[i * columns + b]) * Math.sqrt(norms[b]) || a - b,
    );
    for (const j of order.slice(0, Math.floor(columns * sparsity))) mask[i * columns + j] = 1;
  }
  return mask;
}

export function zerosOf(model: OnnxModel, projection: ProjectionAnatomy): Uint8Array {
  const { weight } = readLinearWeight(model, projection);
  return Uint8Array.from(weight.data, (value) => (value === 0 ? 1 : 0));
}
