import { KvCacheError } from '../errors';
import { createFullPolicy } from '../policies/full';
import { kiviFactory } from '../policies/kivi';
import { createKvTunerPolicy } from '../policies/kvtuner';
import { createRazorPolicy } from '../policies/razor';
import { createSnapKvPolicy } from '../policies/snapkv';
import { createStreamingLlmPolicy } from '../policies/streaming-llm';
import type { GenerationMode, KvPolicy, KvPolicyFactory } from './types';

/** One registry entry: a factory, or `undefined` while the policy has not landed. */
export interface KvPolicyEntry {
  name: string;
  description: string;
  /** Modes the policy supports (shown before it lands, too). */
  modes: readonly GenerationMode[];
  factory: KvPolicyFactory | undefined;
}

/**
 * Built-in policies, by CLI name. Policies not landed yet have no factory and throw `KV_POLICY_UNAVAILABLE`:
 * to land one, set its `factory` here (one line) — new methods are added by registering, not by a switch.
 */
const builtins: KvPolicyEntry[] = [
  {
    name: 'full',
    description: 'keep everything (reference)',
    modes: ['stock', 'split'],
    factory: createFullPolicy,
  },
  {
    name: 'streaming',
    description: 'StreamingLLM: 4 sinks + recent window, original positions',
    modes: ['stock', 'split'],
    factory: createStreamingLlmPolicy,
  },
  {
    name: 'snapkv',
    description: 'SnapKV: prefill compression by observation-window votes, per KV head',
    modes: ['stock', 'split'],
    factory: createSnapKvPolicy,
  },
  {
    name: 'razor',
    description: 'RazorAttention: retrieval heads whole, others sinks + window + compensation token',
    modes: ['split'],
    factory: createRazorPolicy,
  },
  {
    name: 'kivi2',
    description: 'KIVI 2-bit packed cache',
    modes: ['stock', 'split'],
    factory: kiviFactory(2),
  },
  {
    name: 'kivi4',
    description: 'KIVI 4-bit packed cache',
    modes: ['stock', 'split'],
    factory: kiviFactory(4),
  },
  {
    name: 'kivi8',
    description: 'KIVI 8-bit packed cache',
    modes: ['stock', 'split'],
    factory: kiviFactory(8),
  },
  {
    name: 'kvtuner',
    description: 'KVTuner: per-layer (K bits, V bits) from an offline search, on the KIVI cache',
    modes: ['stock', 'split'],
    factory: createKvTunerPolicy,
  },
];

const registry = new Map<string, KvPolicyEntry>(builtins.map((entry) => [entry.name, entry]));

/** Registers (or replaces) a policy under `entry.name`, e.g. a user's own. */
export function registerKvPolicy(entry: KvPolicyEntry): void {
  registry.set(entry.name, entry);
}

/** Every registered policy name with its description, modes and whether it is available. */
export function listKvPolicies(): {
  name: string;
  description: string;
  modes: readonly GenerationMode[];
  available: boolean;
}[] {
  return [...registry.values()].map(({ name, description, modes, factory }) => ({
    name,
    description,
    modes,
    available: factory !== undefined,
  }));
}

/**
 * Creates a policy by name. Throws `KV_UNKNOWN_POLICY` (no such name), `KV_POLICY_UNAVAILABLE` (not landed yet)
 * or the factory's `KV_INVALID_OPTION`.
 */
export function createKvPolicy(name: string, options: Record<string, unknown> = {}): KvPolicy {
  const entry = registry.get(name);
  if (!entry) {
    throw new KvCacheError(
      'KV_UNKNOWN_POLICY',
      `unknown KV policy '${name}'; known: ${[...registry.keys()].join(', ')}`,
      { details: { option: 'policy', value: name } },
    );
  }
  if (!entry.factory) {
    throw new KvCacheError(
      'KV_POLICY_UNAVAILABLE',
      `KV policy '${name}' is not available in this version yet`,
      {
        details: { option: 'policy', value: name },
      },
    );
  }
  return entry.factory(options);
}
