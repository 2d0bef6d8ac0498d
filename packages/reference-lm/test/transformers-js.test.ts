// transformers.js (4.3.1) loads the model folder offline (fp32, three external-data files) and generates the same
// greedy tokens as PyTorch.
import { AutoModelForCausalLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { modelDir } from '../src/index';
import { golden } from './golden';

env.allowRemoteModels = false;
env.allowLocalModels = true;

describe('reference LM in transformers.js', () => {
  it('tokenizes and greedily generates like PyTorch', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
    const model = await AutoModelForCausalLM.from_pretrained(modelDir, {
      local_files_only: true,
      dtype: 'fp32',
    });
    try {
      for (const prompt of golden.prompts.filter((candidate) => candidate.inputIds.length < 1000)) {
        const inputs = tokenizer(prompt.text);
        const inputIds = (inputs.input_ids as Tensor).tolist()[0].map(Number);
        expect(inputIds).toEqual(prompt.inputIds);
        const output = (await model.generate({
          ...inputs,
          max_new_tokens: prompt.greedyIds.length,
          do_sample: false,
        })) as Tensor;
        const generated = output.tolist()[0].map(Number).slice(prompt.inputIds.length);
        expect(generated).toEqual(prompt.greedyIds);
      }
    } finally {
      await model.dispose();
    }
  });
});
