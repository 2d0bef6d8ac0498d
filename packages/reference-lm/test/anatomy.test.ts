// @x/core's decoder anatomy on the real torch.onnx export (SDPA's IsNaN guard after Softmax, the export
// wrapper's one-input Concat on past keys): every projection found with the shapes of config.json.
import { readFile } from 'node:fs/promises';
import { findDecoderAnatomy, readModel } from '@x/core';
import { describe, expect, it } from 'vitest';
import { modelDir, onnxPath } from '../src/index';

describe('decoder anatomy of the reference model', () => {
  it('finds every layer, projection, norm and the Optimum I/O', async () => {
    const config = JSON.parse(await readFile(`${modelDir}/config.json`, 'utf8'));
    const model = await readModel(onnxPath);
    try {
      const anatomy = findDecoderAnatomy(model);
      const hidden = config.hidden_size;
      const headDim = hidden / config.num_attention_heads;
      const kvWidth = config.num_key_value_heads * headDim;
      expect(anatomy.layers).toHaveLength(config.num_hidden_layers);
      const expected = {
        q: [hidden, hidden],
        k: [hidden, kvWidth],
        v: [hidden, kvWidth],
        o: [hidden, hidden],
        gate: [hidden, config.intermediate_size],
        up: [hidden, config.intermediate_size],
        down: [config.intermediate_size, hidden],
      } as const;
      for (const layer of anatomy.layers) {
        expect(layer.attention).toMatchObject({
          kind: 'decomposed',
          numHeads: config.num_attention_heads,
          numKvHeads: config.num_key_value_heads,
          headDim,
        });
        for (const [role, [inFeatures, outFeatures]] of Object.entries(expected)) {
          const projection = layer[role as keyof typeof expected];
          expect(projection, `layer ${layer.index} ${role}`).toMatchObject({ inFeatures, outFeatures });
          const weight = model.getInitializer(projection.weight);
          // torch stores MatMul weights as [in, out].
          expect(weight.dims).toEqual(
            projection.transposed ? [inFeatures, outFeatures] : [outFeatures, inFeatures],
          );
        }
        expect(layer.past).toEqual({
          key: `past_key_values.${layer.index}.key`,
          value: `past_key_values.${layer.index}.value`,
        });
      }
      expect(anatomy.lmHead).toMatchObject({
        tied: false,
        inFeatures: hidden,
        outFeatures: config.vocab_size,
      });
    } finally {
      model.close();
    }
  });
});
