/**
 * ORT baselines for the attention benchmarks, built with onnx-proto (IR 8, opset 17 +
 * com.microsoft 1), run on onnxruntime-web (wasm, Node build, 1 thread):
 * - `decomposed`: Transpose + MatMul + Mul + Softmax + MatMul on our layout Q [N, S, H], K/V [N, L, H];
 * - `mha`: com.microsoft MultiHeadAttention on Q [1, S, N*H], K/V [1, L, N*H] (BSNH packed);
 * - `gqa`: com.microsoft GroupQueryAttention, causal (prefill, or one decode token over a past KV cache).
 */
import onnxProto from 'onnx-proto';
import * as ortWeb from 'onnxruntime-web';

const { onnx } = onnxProto;
const FLOAT = 1;
const INT32 = 6;

function valueInfo(
  name: string,
  dims: Array<number | string>,
  elemType = FLOAT,
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function encode(
  nodes: onnxProto.onnx.INodeProto[],
  inputs: onnxProto.onnx.IValueInfoProto[],
  outputs: onnxProto.onnx.IValueInfoProto[],
  initializers: onnxProto.onnx.ITensorProto[] = [],
): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: 'attention',
    node: nodes,
    input: inputs,
    output: outputs,
    initializer: initializers,
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph,
    }),
  ).finish();
}

/**
 * softmax(Q K^T * scale [+ causal mask]) V per head on Q [N, S, H], K/V [N, L, H]; the causal mask is an
 * additive [S, L] initializer (-Infinity where key j > i + L - S), broadcast over heads.
 */
export function decomposedAttentionModel(
  numHeads: number,
  queryLength: number,
  kvLength: number,
  headDim: number,
  options: { causal?: boolean } = {},
): Uint8Array {
  const scale = new Float32Array([1 / Math.sqrt(headDim)]);
  const initializers: onnxProto.onnx.ITensorProto[] = [
    { name: 'scale', dataType: FLOAT, dims: [], rawData: new Uint8Array(scale.buffer) },
  ];
  let logits = 'Ss';
  const masking: onnxProto.onnx.INodeProto[] = [];
  if (options.causal) {
    const mask = new Float32Array(queryLength * kvLength);
    for (let i = 0; i < queryLength; i++)
      for (let j = i + kvLength - queryLength + 1; j < kvLength; j++)
        mask[i * kvLength + j] = Number.NEGATIVE_INFINITY;
    initializers.push({
      name: 'mask',
      dataType: FLOAT,
      dims: [queryLength, kvLength],
      rawData: new Uint8Array(mask.buffer),
    });
    masking.push({ opType: 'Add', input: ['Ss', 'mask'], output: ['Sm'] });
    logits = 'Sm';
  }
  return encode(
    [
      {
        opType: 'Transpose',
        input: ['K'],
        output: ['Kt'],
        attribute: [{ name: 'perm', type: 7, ints: [0, 2, 1] }],
      },
      { opType: 'MatMul', input: ['Q', 'Kt'], output: ['S'] },
      { opType: 'Mul', input: ['S', 'scale'], output: ['Ss'] },
      ...masking,
      { opType: 'Softmax', input: [logits], output: ['P'], attribute: [{ name: 'axis', type: 2, i: -1 }] },
      { opType: 'MatMul', input: ['P', 'V'], output: ['Y'] },
    ],
    [
      valueInfo('Q', [numHeads, queryLength, headDim]),
      valueInfo('K', [numHeads, kvLength, headDim]),
      valueInfo('V', [numHeads, kvLength, headDim]),
    ],
    [valueInfo('Y', [numHeads, queryLength, headDim])],
    initializers,
  );
}

/** com.microsoft MultiHeadAttention, non-causal, Q [1, S, N*H], K/V [1, L, N*H]. */
export function multiHeadAttentionModel(
  numHeads: number,
  queryLength: number,
  kvLength: number,
  headDim: number,
): Uint8Array {
  const hidden = numHeads * headDim;
  return encode(
    [
      {
        opType: 'MultiHeadAttention',
        domain: 'com.microsoft',
        input: ['Q', 'K', 'V'],
        output: ['Y'],
        attribute: [{ name: 'num_heads', type: 2, i: numHeads }],
      },
    ],
    [
      valueInfo('Q', [1, queryLength, hidden]),
      valueInfo('K', [1, kvLength, hidden]),
      valueInfo('V', [1, kvLength, hidden]),
    ],
    [valueInfo('Y', [1, queryLength, hidden])],
  );
}

/**
 * com.microsoft GroupQueryAttention (causal): `queryLength` new tokens (Q [1, S, N*H], K/V [1, S, G*H])
 * after `past` cached ones (past_key/past_value [1, G, past, H]); seqlens_k = past + S - 1,
 * total_sequence_length = past + S. A decode step is S = 1; a prefill is past = 0.
 */
export function groupQueryAttentionModel(
  numHeads: number,
  numKvHeads: number,
  queryLength: number,
  past: number,
  headDim: number,
): Uint8Array {
  return encode(
    [
      {
        opType: 'GroupQueryAttention',
        domain: 'com.microsoft',
        input: ['Q', 'K', 'V', 'past_key', 'past_value', 'seqlens_k', 'total_sequence_length'],
        output: ['Y', 'present_key', 'present_value'],
        attribute: [
          { name: 'num_heads', type: 2, i: numHeads },
          { name: 'kv_num_heads', type: 2, i: numKvHeads },
        ],
      },
    ],
    [
      valueInfo('Q', [1, queryLength, numHeads * headDim]),
      valueInfo('K', [1, queryLength, numKvHeads * headDim]),
      valueInfo('V', [1, queryLength, numKvHeads * headDim]),
      valueInfo('past_key', [1, numKvHeads, past, headDim]),
      valueInfo('past_value', [1, numKvHeads, past, headDim]),
      valueInfo('seqlens_k', [1], INT32),
      valueInfo('total_sequence_length', [], INT32),
    ],
    [
      valueInfo('Y', [1, queryLength, numHeads * headDim]),
      valueInfo('present_key', [1, numKvHeads, 'present', headDim]),
      valueInfo('present_value', [1, numKvHeads, 'present', headDim]),
    ],
  );
}

export interface OrtAttentionRunner {
  run(): Promise<Float32Array>;
  release(): Promise<void>;
}

/** A onnxruntime-web session (1 thread) with fixed feeds; `run` returns output `Y`. */
export async function createOrtWebRunner(
  model: Uint8Array,
  feeds: Record<string, { data: Float32Array | Int32Array; dims: number[] }>,
): Promise<OrtAttentionRunner> {
  ortWeb.env.wasm.numThreads = 1;
  const session = await ortWeb.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const tensors: Record<string, ortWeb.Tensor> = {};
  for (const [name, { data, dims }] of Object.entries(feeds)) {
    tensors[name] = new ortWeb.Tensor(data instanceof Int32Array ? 'int32' : 'float32', data, dims);
  }
  return {
    async run() {
      const result = await session.run(tensors);
      return result.Y.data as Float32Array;
    },
    release: () => session.release(),
  };
}
