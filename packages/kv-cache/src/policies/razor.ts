import { invalidOption } from '../errors';
import { assertKnownOptions, integerOption } from '../internal/option-checks';
import type { KvPolicy } from '../policy/types';
import { checkFingerprint } from '../profile/fingerprint';
import { parseRazorProfile, type RazorProfile, readRazorProfileSync } from '../profile/razor-profile';
import { assembleCache } from './full';
import { createRazorLayer } from './razor-layer';
import type { StockModeReason } from './stock-unavailable';
import { checkBudget } from './streaming-llm';

/** Resolved RazorAttention options (echoed in results). */
export interface RazorOptions {
  /** The head profile's file, or `'<inline>'` when an object was passed. */
  profile: string;
  /** Retrieval KV heads per layer, from the profile. */
  heads: number[][];
  /** Attention sinks of non-retrieval heads. @defaultValue 4 (golden-stick `sink_size`) */
  sinks: number;
  /**
   * Recent tokens non-retrieval heads keep. @defaultValue 251 (golden-stick's `local_capacity` 256 = 4 sinks + 1
   * compensation token + 251 recent)
   */
  window: number;
  /** Fold dropped tokens into the compensation token (false: the paper's ablation without it). @defaultValue true */
  compensation: boolean;
}

/**
 * RazorAttention (Tang et al. 2024, arXiv 2407.15891): retrieval heads found offline (`profileRazorHeads`, written
 * by `x-kv profile`) keep the whole cache; every other KV head keeps sinks + a recent window + one compensation
 * token. `options.profile` is a `RazorProfile` or the path of its JSON; the profile's shape must match the model's
 * (`KV_PROFILE_MISMATCH`; `loadRazorProfile(file, { model })` also checks the weights). Split mode.
 */
export function createRazorPolicy(
  options: Record<string, unknown> = {},
): KvPolicy<RazorOptions> & StockModeReason {
  assertKnownOptions('razor', options, ['profile', 'sinks', 'window', 'compensation']);
  const source = options.profile;
  let profile: RazorProfile;
  if (typeof source === 'string') profile = readRazorProfileSync(source);
  else if (typeof source === 'object' && source !== null) profile = parseRazorProfile(source, '<inline>');
  else {
    throw invalidOption(
      "policy 'razor'",
      'options.profile',
      source,
      'a RazorAttention head profile or its JSON file (make one with `x-kv profile <model-dir>`)',
    );
  }
  const compensation = options.compensation ?? true;
  if (typeof compensation !== 'boolean' && compensation !== 'true' && compensation !== 'false') {
    throw invalidOption("policy 'razor'", 'options.compensation', compensation, 'true or false');
  }
  const resolved: RazorOptions = {
    profile: typeof source === 'string' ? source : '<inline>',
    heads: profile.heads,
    sinks: integerOption('razor', options, 'sinks', 4, 0),
    window: integerOption('razor', options, 'window', 251, 1),
    compensation: compensation === true || compensation === 'true',
  };
  return {
    name: 'razor',
    options: resolved,
    modes: ['split'],
    // Brief §0.2 / §1.4: the n_d-copies trick would reproduce the compensation exactly but keep S ≈ N (no saving).
    stockModeUnavailable:
      'RazorAttention gives every KV head its own budget (retrieval heads keep every token, the others sinks + ' +
      'window + a compensation token weighted by ln n_d), while a stock graph takes one past length and one 2-D ' +
      'attention mask for all layers and heads',
    createCache(shape, context) {
      checkFingerprint(resolved.profile, profile.fingerprint, shape);
      checkBudget('razor', resolved.sinks + 1 + resolved.window, shape);
      const layers = Array.from({ length: shape.numLayers }, (_, layer) => {
        const retrieval = Array.from({ length: shape.numKvHeads }, (_, h) =>
          profile.heads[layer].includes(h),
        );
        return createRazorLayer(layer, shape, context, retrieval, resolved);
      });
      return assembleCache(layers, context);
    },
  };
}
