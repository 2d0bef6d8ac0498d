import { rebuildReferenceModel } from './kv-quality-model';
import { createGenerator } from '../src/runtime/create-generator';
import { createKvPolicy } from '../src/policy/registry';
const { model } = await rebuildReferenceModel();
const ids = Array.from({ length: 1024 }, (_, i) => (i * 37) % 4000 + 5);
for (const name of ['full', 'kivi4']) {
  const split = await createGenerator(model, { mode: 'split', policy: createKvPolicy(name) });
  for (let r = 0; r < 2; r++) {
    const g = await split.generate(ids, { maxNewTokens: 32 });
    console.log(name, 'prefill ms', g.prefillMs.toFixed(0), 'decode tok/s', g.decodeTokensPerSecond.toFixed(1), g.kvBytes);
  }
}
