import { describe, expect, it } from 'vitest';
import {
  addGraphOutputs,
  createTensor,
  extractSubgraph,
  isXError,
  loadBackend,
  type OnnxModel,
  onnx,
  parseModel,
  readModel,
} from '../src/index';
import { buildMlp, mlpInput, mlpReference, mlpWeights, writeWithLayout } from './helpers/models';
import { maxAbsDiff, useTempDir } from './helpers/tmp-dir';

const tempDir = useTempDir();
const weights = mlpWeights();
const batch = 2;
const x = createTensor('float32', [batch, 16], mlpInput(batch));

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isXError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('did not throw');
}

describe('extractSubgraph structure', () => {
  const model = parseModel(onnx.ModelProto.encode(buildMlp(weights)).finish());

  it('keeps only the needed nodes and initializers, sharing initializer bytes', () => {
    const sub = extractSubgraph(model, { inputs: ['h'], outputs: ['h_relu'] });
    const graph = sub.proto.graph;
    expect(graph?.node?.map((node) => node.name)).toEqual(['add1', 'relu']);
    expect(graph?.initializer?.map((tensor) => tensor.name)).toEqual(['b1']);
    expect(
      graph?.input?.[0]?.type?.tensorType?.shape?.dim?.map((dim) => dim.dimParam || Number(dim.dimValue)),
    ).toEqual(['batch', 32]);
    expect(sub.getInitializer('b1').data.buffer).toBe(model.getInitializer('b1').data.buffer);
    // Graph edits on the subgraph do not reach the source.
    addGraphOutputs(sub, ['h_bias']);
    expect(model.proto.graph?.output?.map((value) => value.name)).toEqual(['y']);
  });

  it('names an unlisted graph input an output depends on, and unknown input types', () => {
    expect(errorOf(() => extractSubgraph(model, { inputs: ['h_relu'], outputs: ['y', 'h'] }))).toMatch(
      /X_GRAPH: .*output h depends on graph input x, which is not among the inputs \[h_relu\]/,
    );
    expect(errorOf(() => extractSubgraph(model, { inputs: ['q'], outputs: ['y'] }))).toMatch(/defines q/);
    const bare = parseModel(onnx.ModelProto.encode(buildMlp(weights, { valueInfo: false })).finish());
    expect(errorOf(() => extractSubgraph(bare, { inputs: ['h_bias'], outputs: ['o'] }))).toMatch(
      /type of input h_bias is unknown.*options.types/,
    );
  });
});

describe.each(['node', 'web'] as const)('subgraph values on %s', (name) => {
  async function run(model: OnnxModel, feeds: Record<string, ReturnType<typeof createTensor>>) {
    const session = await (await loadBackend(name)).createSession(model, {
      graphOptimizationLevel: 'disabled',
    });
    try {
      return await session.run(feeds);
    } finally {
      await session.release();
    }
  }

  it('reproduces the intermediate values of the full model exactly', async () => {
    // External data on disk, so the subgraph also exercises shared lazy reads.
    const path = writeWithLayout(tempDir(), buildMlp(weights, { valueInfo: false }), {
      W1: { location: 'model.onnx_data', offset: 0 },
      W2: { location: 'model.onnx_data', offset: 2048 },
    });
    const full = await readModel(path);
    const withOutputs = full.clone();
    addGraphOutputs(withOutputs, ['h', 'h_bias', 'o']);
    const all = await run(withOutputs, { x });
    const reference = mlpReference(weights, x.data as Float32Array, batch);
    for (const value of ['h', 'h_bias', 'o', 'y']) {
      expect(maxAbsDiff(all[value].data as Float32Array, reference[value])).toBeLessThan(1e-5);
    }
    // Block 1: h -> h_bias (one node); block 2: h_bias -> [o, y] (three nodes), with types given.
    const first = extractSubgraph(full, {
      inputs: ['h'],
      outputs: ['h_bias'],
      types: { h: { dtype: 'float32' } },
    });
    const second = extractSubgraph(full, {
      inputs: ['h_bias'],
      outputs: ['o', 'y'],
      types: { h_bias: { dtype: 'float32', dims: ['batch', 32] } },
    });
    const a = await run(first, { h: all.h });
    expect(a.h_bias.data).toEqual(all.h_bias.data);
    const b = await run(second, { h_bias: a.h_bias });
    expect(b.o.data).toEqual(all.o.data);
    expect(b.y.data).toEqual(all.y.data);
    full.close();
  });
});
