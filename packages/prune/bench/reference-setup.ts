// The reference-LM protocol shared by the quality benches: calibration `samples` × `seqlen` tokens of
// reference-lm/data/calibration.txt (seed 0), perplexity over the first `maxWindows` 512-token windows of
// data/heldout.txt, onnxruntime-node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Backend,
  evaluatePerplexity,
  loadBackend,
  loadCalibrationFile,
  loadTokenizer,
  type OnnxModel,
  readModel,
} from '@x/core';

const referenceDir = new URL('../../reference-lm/', import.meta.url).pathname;
const modelDir = join(referenceDir, 'model');

export interface ReferenceSetup {
  dense: OnnxModel;
  calibration: number[][];
  backend: Backend;
  /** Held-out perplexity (512-token windows, the first `maxWindows`). */
  perplexity(model: OnnxModel): Promise<number>;
}

export async function loadReferenceSetup(options: {
  samples: number;
  seqlen: number;
  maxWindows: number;
}): Promise<ReferenceSetup> {
  const tokenizer = await loadTokenizer(modelDir);
  const heldout = tokenizer.encode(readFileSync(join(referenceDir, 'data/heldout.txt'), 'utf8'), {
    addSpecialTokens: false,
  });
  const calibration = await loadCalibrationFile(join(referenceDir, 'data/calibration.txt'), modelDir, {
    samples: options.samples,
    seqlen: options.seqlen,
    seed: 0,
  });
  const backend = await loadBackend('node');
  return {
    dense: await readModel(join(modelDir, 'onnx', 'model.onnx')),
    calibration,
    backend,
    async perplexity(model) {
      const session = await backend.createSession(model);
      try {
        return (await evaluatePerplexity(session, heldout, { seqlen: 512, maxWindows: options.maxWindows }))
          .perplexity;
      } finally {
        await session.release();
      }
    },
  };
}
