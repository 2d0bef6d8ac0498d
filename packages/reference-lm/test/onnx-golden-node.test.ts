// The exported ONNX model on onnxruntime-node reproduces the PyTorch fp32 golden outputs.
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxPath } from '../src/index';
import { golden, maxAbsDiff, type OrtLike, prefillAndGreedy, type SessionLike } from './golden';

describe('reference LM on onnxruntime-node', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: 2 });
  });
  afterAll(async () => {
    await session.release();
  });

  it('has the Optimum decoder inputs and outputs', () => {
    expect(session.inputNames.slice(0, 3)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(session.inputNames).toContain('past_key_values.8.value');
    expect(session.outputNames[0]).toBe('logits');
    expect(session.outputNames).toContain('present.8.value');
  });

  for (const prompt of golden.prompts) {
    it(`matches the golden logits and greedy ids: ${prompt.name} (${prompt.inputIds.length} tokens)`, async () => {
      const result = await prefillAndGreedy(
        ort as unknown as OrtLike,
        session as unknown as SessionLike,
        prompt.inputIds,
        prompt.greedyIds.length,
      );
      expect(maxAbsDiff(result.lastLogits, prompt.lastLogits)).toBeLessThan(1e-3);
      expect(result.greedyIds).toEqual(prompt.greedyIds);
    });
  }
});
