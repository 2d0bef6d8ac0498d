import { addGraphOutputs, type OnnxModel, type Tensor } from '@x/core';
import { KvCacheError } from '../errors';
import { applyRope, gatherTable, halfTable, toHeadMajor } from './rope';
import { planSplit } from './split-plan';

/**
 * Where a stock run's post-RoPE queries come from: the graph's q projections (and its cos/sin when RoPE is
 * decomposed), added as graph outputs by `withStockQueryOutputs`, rotated in TS as split mode does.
 */
export interface StockQuerySource {
  /** Graph outputs to fetch on a step that needs queries. */
  readonly outputs: readonly string[];
  readonly numHeads: number;
  readonly headDim: number;
  /** Post-RoPE queries `[numHeads, count, headDim]` per layer, from one run's outputs at positions `start..`. */
  queries(outputs: Record<string, Tensor>, start: number, count: number): Float32Array[];
}

function floatData(tensor: Tensor | undefined, name: string): Float32Array {
  if (tensor?.dtype !== 'float32') {
    throw new KvCacheError(
      'KV_MODEL',
      `stock queries: ${name} is ${tensor?.dtype ?? 'missing'}; expected float32`,
      {
        details: { value: name },
      },
    );
  }
  return tensor.data as Float32Array;
}

/**
 * A copy of a stock (Optimum) decoder that also outputs each layer's query projection, and the source that turns
 * those outputs into post-RoPE queries: what attention-score policies (SnapKV) need in stock mode, since stock
 * exports output no queries (kv-cache brief §0.7). The graph's q/k/v, RoPE tables and layers are read with
 * `planSplit` (core's `findDecoderAnatomy`); the input model is not modified. Errors: `KV_MODEL`.
 */
export function withStockQueryOutputs(model: OnnxModel): { model: OnnxModel; source: StockQuerySource } {
  const plan = planSplit(model);
  const { numHeads, headDim } = plan.anatomy.config;
  const rotary = plan.rotary;
  const names = plan.layers.map((layer) => layer.q);
  const outputs = rotary.source === 'graph' ? [...names, rotary.cos, rotary.sin] : names;
  const copy = model.clone();
  addGraphOutputs(copy, outputs);
  return {
    model: copy,
    source: {
      outputs,
      numHeads,
      headDim,
      queries(values, start, count) {
        let cos: Float32Array;
        let sin: Float32Array;
        if (rotary.source === 'graph') {
          cos = halfTable(floatData(values[rotary.cos], rotary.cos), count, headDim, rotary.interleaved);
          sin = halfTable(floatData(values[rotary.sin], rotary.sin), count, headDim, rotary.interleaved);
        } else {
          cos = gatherTable(rotary.cos, headDim / 2, start, count);
          sin = gatherTable(rotary.sin, headDim / 2, start, count);
        }
        return names.map((name) => {
          const q = toHeadMajor(floatData(values[name], name), numHeads, count, headDim);
          applyRope(q, numHeads, count, headDim, cos, sin, rotary.interleaved);
          return q;
        });
      },
    },
  };
}
