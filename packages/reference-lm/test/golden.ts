// Shared test helpers: the golden file's shape and a minimal greedy decoder over the Optimum I/O contract
// (explicit position_ids and past KV), written against the structural subset of the ORT API that
// onnxruntime-node and onnxruntime-web share. Deliberately tiny: the general harness lives in @x/core.
import { readFileSync } from 'node:fs';
import { goldenPath, modelDir } from '../src/index';

export interface GoldenPrompt {
  name: string;
  text: string;
  inputIds: number[];
  lastLogits: number[];
  greedyIds: number[];
  greedyMinTop2Margin: number;
}

export interface Golden {
  bosTokenId: number;
  prompts: GoldenPrompt[];
}

export interface ModelConfig {
  num_hidden_layers: number;
  num_key_value_heads: number;
  head_dim: number;
  vocab_size: number;
}

export const golden: Golden = JSON.parse(readFileSync(goldenPath, 'utf8'));
export const config: ModelConfig = JSON.parse(readFileSync(`${modelDir}/config.json`, 'utf8'));

interface TensorLike {
  readonly dims: readonly number[];
  readonly data: unknown;
}

export interface OrtLike {
  Tensor: new (
    type: 'int64' | 'float32',
    data: BigInt64Array | Float32Array,
    dims: readonly number[],
  ) => TensorLike;
}

export interface SessionLike {
  run(feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>>;
}

function int64(ort: OrtLike, values: number[]): TensorLike {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (value) => BigInt(value)),
    [1, values.length],
  );
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if (values[index] > values[best]) best = index;
  return best;
}

/** Prefill `ids` (batch 1, empty past), then greedy-decode `steps` tokens one at a time with the KV cache. */
export async function prefillAndGreedy(
  ort: OrtLike,
  session: SessionLike,
  ids: number[],
  steps: number,
): Promise<{ lastLogits: Float32Array; greedyIds: number[] }> {
  const {
    num_hidden_layers: layers,
    num_key_value_heads: heads,
    head_dim: headDim,
    vocab_size: vocab,
  } = config;
  const feeds: Record<string, TensorLike> = {
    input_ids: int64(ort, ids),
    attention_mask: int64(
      ort,
      ids.map(() => 1),
    ),
    position_ids: int64(
      ort,
      ids.map((_, index) => index),
    ),
  };
  for (let layer = 0; layer < layers; layer++) {
    for (const kind of ['key', 'value']) {
      feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        heads,
        0,
        headDim,
      ]);
    }
  }
  let outputs = await session.run(feeds);
  let length = ids.length;
  const logits = outputs.logits.data as Float32Array;
  const lastLogits = logits.slice((length - 1) * vocab, length * vocab);
  let last: Float32Array = lastLogits;
  const greedyIds: number[] = [];
  for (let step = 0; step < steps; step++) {
    const token = argmax(last);
    greedyIds.push(token);
    if (step === steps - 1) break;
    const next: Record<string, TensorLike> = {
      input_ids: int64(ort, [token]),
      attention_mask: int64(ort, new Array<number>(length + 1).fill(1)),
      position_ids: int64(ort, [length]),
    };
    for (let layer = 0; layer < layers; layer++) {
      for (const kind of ['key', 'value'])
        next[`past_key_values.${layer}.${kind}`] = outputs[`present.${layer}.${kind}`];
    }
    outputs = await session.run(next);
    length += 1;
    last = outputs.logits.data as Float32Array;
  }
  return { lastLogits, greedyIds };
}

export function maxAbsDiff(actual: Float32Array, expected: number[]): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let index = 0; index < actual.length; index++)
    worst = Math.max(worst, Math.abs(actual[index] - expected[index]));
  return worst;
}
