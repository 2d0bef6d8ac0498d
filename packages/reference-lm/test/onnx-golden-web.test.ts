// The exported ONNX model on onnxruntime-web (its Node build, wasm) reproduces the PyTorch fp32 golden outputs.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDir, onnxDataFiles, onnxPath } from '../src/index';
import { golden, maxAbsDiff, type OrtLike, prefillAndGreedy, type SessionLike } from './golden';

describe('reference LM on onnxruntime-web', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    ort.env.wasm.numThreads = 2;
    session = await ort.InferenceSession.create(readFileSync(onnxPath), {
      externalData: onnxDataFiles.map((path) => ({ path, data: readFileSync(`${modelDir}/onnx/${path}`) })),
    });
  });
  afterAll(async () => {
    await session.release();
  });

  // The 1500-token prompt runs on onnxruntime-node only (test/onnx-golden-node.test.ts): its wasm prefill takes
  // ~20 s on the 2-core CI machine. The three shorter prompts cover the same graph, prefill and decode paths.
  for (const prompt of golden.prompts.filter((candidate) => candidate.inputIds.length < 1000)) {
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
