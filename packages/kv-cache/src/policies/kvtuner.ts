import { invalidOption } from '../errors';
import { assertKnownOptions } from '../internal/option-checks';
import type { KvPolicy } from '../policy/types';
import { checkFingerprint } from '../profile/fingerprint';
import type { KvBitPair } from '../profile/kvtuner-pairs';
import { type KvTunerProfile, parseKvTunerProfile, readKvTunerProfileSync } from '../profile/kvtuner-profile';
import { assembleCache } from './full';
import { checkKiviShape, resolveResidualLength } from './kivi';
import { createKiviLayer } from './kivi-layer';
import { createKiviStockCache } from './kivi-stock-cache';

/** Resolved KVTuner options (echoed in results). */
export interface KvTunerOptions {
  /** The profile's file, or `'<inline>'`. */
  profile: string;
  /** (key bits, value bits) per layer, from the profile. */
  layers: KvBitPair[];
  averageBits: number;
  /** KIVI residual length. @defaultValue the profile's */
  residualLength: number;
}

/**
 * KVTuner (arXiv 2502.04420): per-layer (K bits, V bits) chosen offline (`profileKvTuner`, `x-kv profile`), run on
 * KIVI's packed cache and decode kernel (`createKiviLayer`). `options.profile`: a `KvTunerProfile` or its JSON file;
 * its shape must match the model's (`KV_PROFILE_MISMATCH`). Split mode, and stock mode with the packed state between
 * steps (`createKiviStockCache`).
 */
export function createKvTunerPolicy(options: Record<string, unknown> = {}): KvPolicy<KvTunerOptions> {
  assertKnownOptions('kvtuner', options, ['profile', 'residualLength']);
  const source = options.profile;
  let profile: KvTunerProfile;
  if (typeof source === 'string') profile = readKvTunerProfileSync(source);
  else if (typeof source === 'object' && source !== null) profile = parseKvTunerProfile(source, '<inline>');
  else {
    throw invalidOption(
      "policy 'kvtuner'",
      'options.profile',
      source,
      'a KVTuner profile or its JSON file (make one with `x-kv profile <model-dir>`)',
    );
  }
  const resolved: KvTunerOptions = {
    profile: typeof source === 'string' ? source : '<inline>',
    layers: profile.layers,
    averageBits:
      profile.layers.reduce((sum, pair) => sum + (pair.keyBits + pair.valueBits) / 2, 0) /
      profile.layers.length,
    residualLength: resolveResidualLength('kvtuner', {
      residualLength: options.residualLength ?? profile.options.residualLength,
    }),
  };
  return {
    name: 'kvtuner',
    options: resolved,
    modes: ['stock', 'split'],
    createCache(shape, context) {
      checkFingerprint(resolved.profile, profile.fingerprint, shape);
      checkKiviShape('kvtuner', shape);
      const layers = resolved.layers.map((pair, layer) =>
        createKiviLayer(layer, shape, context, { ...pair, residualLength: resolved.residualLength }),
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
      // A stock graph's I/O does not tell the query heads (the stock engine guesses H_kv): they are not checked.
      checkFingerprint(resolved.profile, { ...profile.fingerprint, numHeads: undefined }, shape);
      checkKiviShape('kvtuner', shape);
      return createKiviStockCache(
        shape,
        resolved.layers.map((pair) => ({ ...pair, residualLength: resolved.residualLength })),
      );
    },
  };
}
