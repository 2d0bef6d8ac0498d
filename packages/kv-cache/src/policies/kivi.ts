import { KIVI_GROUP_SIZE, type KiviBits } from '@x/kernels-wasm';
import { invalidOption, KvCacheError } from '../errors';
import { assertKnownOptions, integerOption } from '../internal/option-checks';
import type { KvCacheShape, KvPolicy, KvPolicyFactory } from '../policy/types';
import { assembleCache } from './full';
import { createKiviLayer, type KiviLayerSettings } from './kivi-layer';
import { createKiviStockCache } from './kivi-stock-cache';

/** Resolved KIVI options. */
export interface KiviOptions {
  /** Bits per key and value code. @defaultValue 4 */
  bits: KiviBits;
  /**
   * KIVI's fp32 residual length R, a positive multiple of 32: the newest 0..R−1 keys and the newest R values stay
   * fp32. @defaultValue 128 (the paper's main setting, `docs/long_bench.md` of jy-yuan/KIVI; group size is 32)
   */
  residualLength: number;
}

export function resolveResidualLength(policy: string, options: Record<string, unknown>): number {
  const residualLength = integerOption(policy, options, 'residualLength', 128, KIVI_GROUP_SIZE);
  if (residualLength % KIVI_GROUP_SIZE !== 0) {
    throw invalidOption(`policy '${policy}'`, 'options.residualLength', residualLength, 'a multiple of 32');
  }
  return residualLength;
}

/** `KV_MODEL` unless the model's head dim is a multiple of KIVI's group (values are grouped along channels). */
export function checkKiviShape(policy: string, shape: KvCacheShape): void {
  if (shape.headDim % KIVI_GROUP_SIZE !== 0) {
    throw new KvCacheError(
      'KV_MODEL',
      `policy '${policy}': head dim ${shape.headDim} is not a multiple of KIVI's group size ${KIVI_GROUP_SIZE}`,
      { details: { policy, headDim: shape.headDim } },
    );
  }
}

/**
 * KIVI (Liu et al. 2024, arXiv 2402.02750): every layer's cache packed at `bits` (keys per channel, values per
 * token, groups of 32, fp32 residual window), decode attention computed on the packed bytes by @x/kernels-wasm's
 * `kiviAttention`. Stock mode too (`createKiviStockCache`): the same packed state between steps, dequantized into
 * the graph's float past each step (resident memory shrinks, the peak does not; brief §0.5).
 */
export function createKiviPolicy(options: Record<string, unknown> = {}): KvPolicy<KiviOptions> {
  assertKnownOptions('kivi', options, ['bits', 'residualLength']);
  const bits = options.bits ?? 4;
  if (bits !== 2 && bits !== 4 && bits !== 8)
    throw invalidOption("policy 'kivi'", 'options.bits', bits, '2, 4 or 8');
  const resolved: KiviOptions = { bits, residualLength: resolveResidualLength('kivi', options) };
  const name = `kivi${bits}`;
  return {
    name,
    options: resolved,
    modes: ['stock', 'split'],
    createCache(shape, context) {
      checkKiviShape(name, shape);
      const layers = Array.from({ length: shape.numLayers }, (_, layer) =>
        createKiviLayer(layer, shape, context, {
          keyBits: bits,
          valueBits: bits,
          residualLength: resolved.residualLength,
        }),
      );
      // The packed caches live in the kernels' memory: `dispose` (called by the runtime) frees them.
      return {
        ...assembleCache(layers, context),
        dispose: () => {
          for (const layer of layers) layer.dispose();
        },
      };
    },
    createStockCache(shape) {
      checkKiviShape(name, shape);
      const layer: KiviLayerSettings = {
        keyBits: bits,
        valueBits: bits,
        residualLength: resolved.residualLength,
      };
      return createKiviStockCache(
        shape,
        Array.from({ length: shape.numLayers }, () => layer),
      );
    },
  };
}

/** The registry factory of `kivi2` / `kivi4` / `kivi8`: the bits are fixed by the name. */
export function kiviFactory(bits: KiviBits): KvPolicyFactory {
  return (options = {}) => {
    assertKnownOptions(`kivi${bits}`, options, ['residualLength']);
    return createKiviPolicy({ ...options, bits });
  };
}
