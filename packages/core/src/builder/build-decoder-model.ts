import type { onnx } from 'onnx-proto';
import { XError } from '../errors';
import { emitDecomposedDecoder } from './build-decomposed';
import { emitFusedDecoder, type FusedRotary } from './build-fused';
import { type DecoderConfig, validateDecoderConfig } from './decoder-config';
import { type DecoderWeights, validateDecoderWeights } from './decoder-weights';
import { createModel, GraphBuilder } from './graph-builder';
import { createOptimumIo } from './optimum-io';

/** Which graph layout `buildDecoderModel` emits. */
export type DecoderForm = 'decomposed' | 'fused';

export interface BuildDecoderModelOptions {
  /**
   * `'decomposed'`: plain ONNX ops as torch.onnx / Optimum export Llama (runs anywhere).
   * `'fused'`: ORT contrib ops as ORT's transformer optimizer / onnxruntime-genai emit them
   * (`SimplifiedLayerNormalization`, `SkipSimplifiedLayerNormalization`, `GroupQueryAttention` with rotary).
   * @defaultValue 'decomposed'
   */
  form?: DecoderForm;
  /**
   * Fused form only: `'gqa'` rotates inside GroupQueryAttention (`do_rotary=1`, onnxruntime-genai's choice; ORT's
   * CPU/WASM kernel needs `headDim % 16 = 0`), `'rotary-embedding'` emits com.microsoft `RotaryEmbedding` on q and
   * k before a `do_rotary=0` GQA (ORT transformer optimizer's layout), `'auto'` picks `'gqa'` when it can run.
   * @defaultValue 'auto'
   */
  fusedRotary?: 'auto' | FusedRotary;
  /**
   * Graph name.
   * @defaultValue 'main_graph' (torch's)
   */
  graphName?: string;
}

/**
 * Builds a Llama decoder as an ONNX model with the Optimum decoder I/O: inputs `input_ids` int64
 * `[batch_size, sequence_length]`, `attention_mask` int64 `[batch_size, past_sequence_length + 1]`, `position_ids`
 * int64 `[batch_size, sequence_length]`, `past_key_values.{i}.key|value` float32
 * `[batch_size, numKvHeads, past_sequence_length, headDim]`; outputs `logits` `[batch_size, sequence_length, vocab]`
 * and `present.{i}.key|value`. Both forms compute the same function (`referenceForward`), except that the fused
 * form's GroupQueryAttention treats `attention_mask` as lengths (right padding only, see the README).
 *
 * Errors: `X_INVALID_ARGUMENT` (config, form), `X_SHAPE_MISMATCH` (weights).
 */
export function buildDecoderModel(
  config: DecoderConfig,
  weights: DecoderWeights,
  options: BuildDecoderModelOptions = {},
): onnx.ModelProto {
  validateDecoderConfig(config, 'buildDecoderModel');
  validateDecoderWeights(config, weights, 'buildDecoderModel');
  const form = options.form ?? 'decomposed';
  const graph = new GraphBuilder();
  let fusedRotary: FusedRotary | undefined;
  if (form === 'decomposed') emitDecomposedDecoder(graph, config, weights);
  else if (form === 'fused') {
    fusedRotary = resolveFusedRotary(config, options.fusedRotary);
    emitFusedDecoder(graph, config, weights, fusedRotary);
  } else {
    throw new XError(
      'X_INVALID_ARGUMENT',
      `buildDecoderModel: options.form must be 'decomposed' or 'fused', got ${String(form)}`,
      {
        details: { option: 'form', value: form },
      },
    );
  }
  const { inputs, outputs } = createOptimumIo(config);
  return createModel(
    {
      name: options.graphName ?? 'main_graph',
      node: graph.nodes,
      initializer: graph.initializers,
      input: inputs,
      output: outputs,
    },
    `@x/core buildDecoderModel (${form})`,
    // The resolved options and config, so a fixture says how it was made.
    { 'x.buildDecoderModel': JSON.stringify({ form, fusedRotary, config }) },
  );
}

function resolveFusedRotary(
  config: DecoderConfig,
  rotary: BuildDecoderModelOptions['fusedRotary'],
): FusedRotary {
  const choice = rotary ?? 'auto';
  if (choice === 'auto') return config.headDim % 16 === 0 ? 'gqa' : 'rotary-embedding';
  if (choice === 'gqa' || choice === 'rotary-embedding') return choice;
  throw new XError(
    'X_INVALID_ARGUMENT',
    `buildDecoderModel: options.fusedRotary must be 'auto', 'gqa' or 'rotary-embedding', got ${String(choice)}`,
    {
      details: { option: 'fusedRotary', value: choice },
    },
  );
}
