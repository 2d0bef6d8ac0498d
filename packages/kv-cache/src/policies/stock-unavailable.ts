import { KvCacheError } from '../errors';
import type { KvPolicy } from '../policy/types';

/** A policy that cannot run in stock mode may say why; the reason is shown in the `KV_POLICY_UNAVAILABLE` error. */
export interface StockModeReason {
  readonly stockModeUnavailable?: string;
}

/** The `KV_POLICY_UNAVAILABLE` error for a policy without `createStockCache`, with the policy's reason if it has one. */
export function stockModeUnavailableError(policy: KvPolicy & StockModeReason): KvCacheError {
  const reason = policy.stockModeUnavailable ? `: ${policy.stockModeUnavailable}` : '';
  return new KvCacheError(
    'KV_POLICY_UNAVAILABLE',
    `KV policy '${policy.name}' cannot run in stock mode${reason} (modes: ${policy.modes.join(', ')}); use mode 'split'`,
    { details: { option: 'mode', value: 'stock', policy: policy.name } },
  );
}
