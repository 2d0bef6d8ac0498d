import { assembleCache, createFullLayer } from '../policies/full';
import type { KvPolicy, KvQueries } from '../policy/types';

/** One layer's prefill as a capture policy sees it. */
export interface CapturedLayer {
  layer: number;
  /** `[numHeads, length, headDim]` post-RoPE queries. */
  query: Float32Array;
  /** `[numKvHeads, length, headDim]` post-RoPE keys and values. */
  key: Float32Array;
  value: Float32Array;
  length: number;
  scale: number;
}

/**
 * A full-cache policy that hands each layer's prefill queries, keys and values to `onLayer` (split mode): how the
 * offline profilers (RazorAttention heads, KVTuner sensitivities) see inside the attention without a custom export.
 */
export function createCapturePolicy(
  onLayer: (captured: CapturedLayer) => void,
): KvPolicy<Record<string, never>> {
  return {
    name: 'capture',
    options: {},
    modes: ['split'],
    createCache(shape, context) {
      const layers = Array.from({ length: shape.numLayers }, (_, l) => {
        const full = createFullLayer(l, shape, context);
        const key: Float32Array[] = [];
        const value: Float32Array[] = [];
        return {
          ...full,
          append(rows: Parameters<typeof full.append>[0]) {
            key.push(rows.key.slice());
            value.push(rows.value.slice());
            full.append(rows);
          },
          afterPrefill(queries: KvQueries) {
            onLayer({
              layer: l,
              query: queries.query,
              key: key[0],
              value: value[0],
              length: queries.queryLength,
              scale: queries.scale,
            });
          },
        };
      });
      return assembleCache(layers, context);
    },
  };
}
