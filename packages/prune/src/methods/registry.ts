import { invalidOption, PruneError } from '../errors';
import { magnitudeMethod } from './magnitude';
import type { PruneMethod } from './method';
import { sparseGptMethod } from './sparsegpt';
import { wandaMethod } from './wanda';

// Each method module exports its own `PruneMethod` object (name -> implementation); this registry only collects
// them, so adding a method never grows a switch. No import-time side effects: the built-ins are listed here.
const builtins: readonly PruneMethod<object>[] = [
  magnitudeMethod as PruneMethod<object>,
  wandaMethod,
  sparseGptMethod as PruneMethod<object>,
];
const methods = new Map<string, PruneMethod<object>>(builtins.map((method) => [method.name, method]));

/** Adds a method (or replaces one of the same name when `replace` is true). */
export function registerPruneMethod(method: PruneMethod<object>, options: { replace?: boolean } = {}): void {
  if (!method || typeof method.name !== 'string' || method.name.length === 0) {
    throw invalidOption('method.name', 'a registered method needs a non-empty name', method?.name);
  }
  if (methods.has(method.name) && !options.replace) {
    throw invalidOption('method.name', `a method named '${method.name}' is already registered`, method.name);
  }
  methods.set(method.name, method);
}

/** The method registered under `name`; PRUNE_UNKNOWN_METHOD listing the known names otherwise. */
export function getPruneMethod(name: string): PruneMethod<object> {
  const method = methods.get(name);
  if (!method) {
    throw new PruneError(
      'PRUNE_UNKNOWN_METHOD',
      `unknown pruning method '${name}'; known: ${[...methods.keys()].join(', ')}`,
      { details: { option: 'method', value: name, known: [...methods.keys()] } },
    );
  }
  return method;
}

/** Names of all registered methods, built-ins first. */
export function listPruneMethods(): string[] {
  return [...methods.keys()];
}
