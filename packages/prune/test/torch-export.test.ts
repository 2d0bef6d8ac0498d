// pruneModel on a real torch.onnx export of a tiny HF-style Llama (core's anatomy fixture, read as a file).
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTensor, findDecoderAnatomy, loadBackend, readModel, type Tensor } from '@x/core';
import { describe, expect, it } from 'vitest';
import { isNmMask } from '../src/mask/n-m';
import { readLinearWeight } from '../src/model/linear-weight';
import { pruneModel } from '../src/model/prune-model';

const fixture = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../core/src/anatomy/__fixtures__/torch-llama-tiny.onnx',
);

describe.skipIf(!existsSync(fixture))('pruneModel on a torch.onnx export', () => {
  it('Wanda 2:4 holds on every matrix and the pruned export still runs', async () => {
    const model = await readModel(fixture);
    const anatomy = findDecoderAnatomy(model);
    const { vocabSize, numLayers, numKvHeads, headDim } = anatomy.config;
    const calibration = [0, 1, 2].map((seed) =>
      Array.from({ length: 8 }, (_, t) => (seed * 7 + t * 3) % vocabSize),
    );
    const { model: pruned, report } = await pruneModel(model, {
      method: 'wanda',
      sparsity: '2:4',
      calibration,
      backend: 'node',
    });
    expect(report.linears).toHaveLength(7 * numLayers);
    for (const layer of findDecoderAnatomy(pruned).layers) {
      for (const projection of [layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down]) {
        const { weight } = readLinearWeight(pruned, projection);
        const zeros = Uint8Array.from(weight.data, (value) => (value === 0 ? 1 : 0));
        expect(isNmMask(zeros, weight.rows, weight.columns, 2, 4)).toBe(true);
      }
    }
    const session = await (await loadBackend('node')).createSession(pruned);
    const length = calibration[0].length;
    const feeds: Record<string, Tensor> = {
      input_ids: createTensor('int64', [1, length], BigInt64Array.from(calibration[0], BigInt)),
      attention_mask: createTensor('int64', [1, length], new BigInt64Array(length).fill(1n)),
      position_ids: createTensor(
        'int64',
        [1, length],
        BigInt64Array.from(calibration[0], (_, i) => BigInt(i)),
      ),
    };
    for (let layer = 0; layer < numLayers; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] = createTensor('float32', [1, numKvHeads, 0, headDim]);
      }
    }
    const inputs = new Set(session.inputNames);
    const { logits } = await session.run(
      Object.fromEntries(Object.entries(feeds).filter(([name]) => inputs.has(name))),
    );
    expect(Array.from(logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    await session.release();
  });
});
