import { describe, expect, it } from 'vitest';
import { buildMlp } from '../../../test/helpers/models';
import { isXError } from '../../errors';
import { createTensor } from '../../tensor/create-tensor';
import type { OnnxModel } from '../model';
import { onnx } from '../proto';
import { parseModel } from '../read-model';
import { addGraphOutputs } from './add-graph-outputs';
import { checkTopologicalOrder } from './check-topological-order';
import { insertNode } from './insert-node';
import { pruneDeadNodes } from './prune-dead-nodes';
import { removeNode } from './remove-node';
import { renameValue } from './rename-value';
import { sortTopologically } from './sort-topologically';

function mlp(options?: { valueInfo?: boolean }): OnnxModel {
  return parseModel(onnx.ModelProto.encode(buildMlp(undefined, options)).finish());
}
const nodesOf = (model: OnnxModel) => model.graph().node ?? [];
const order = (model: OnnxModel) => (model.proto.graph?.node ?? []).map((node) => node.name);
const outputs = (model: OnnxModel) => (model.proto.graph?.output ?? []).map((value) => value.name);
function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isXError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
}

describe('addGraphOutputs', () => {
  it('adds typed outputs from value_info or initializers, untyped otherwise, skipping existing ones', () => {
    const model = mlp();
    expect(addGraphOutputs(model, ['h', 'y', 'h_bias', 'W2'])).toEqual(['h', 'h_bias', 'W2']);
    const byName = new Map((model.proto.graph?.output ?? []).map((value) => [value.name, value]));
    expect(byName.get('h')?.type?.tensorType?.elemType).toBe(1);
    expect(byName.get('h_bias')?.type).toBeFalsy(); // no value_info: name only
    expect(byName.get('W2')?.type?.tensorType?.shape?.dim?.map((dim) => Number(dim.dimValue))).toEqual([
      32, 8,
    ]);
    addGraphOutputs(model, ['o'], { types: { o: { dtype: 'float32', dims: ['batch', 8] } } });
    expect(byName.get('o')).toBeUndefined();
    expect(model.proto.graph?.output?.at(-1)?.type?.tensorType?.shape?.dim?.[0]?.dimParam).toBe('batch');
    expect(errorOf(() => addGraphOutputs(model, ['nope'])).message).toMatch(/defines nope/);
  });
});

describe('checkTopologicalOrder and sortTopologically', () => {
  it('names the first node reading a value produced later, and sorting fixes it stably', () => {
    const model = mlp();
    expect(checkTopologicalOrder(model)).toEqual({ ok: true });
    const [mm1, add1, relu, mm2, add2] = nodesOf(model);
    model.graph().node = [mm2, mm1, add2, add1, relu];
    const result = checkTopologicalOrder(model);
    expect(result).toMatchObject({
      ok: false,
      nodeIndex: 0,
      node: 'mm2',
      value: 'h_relu',
      definedLater: true,
    });
    expect(errorOf(() => checkTopologicalOrder(model, { throwOnError: true })).message).toMatch(
      /node mm2 \(MatMul\) reads h_relu, which is only produced by a later node/,
    );
    sortTopologically(model);
    expect(order(model)).toEqual(['mm1', 'add1', 'relu', 'mm2', 'add2']);
    sortTopologically(model);
    expect(order(model)).toEqual(['mm1', 'add1', 'relu', 'mm2', 'add2']);
  });

  it('reports undefined values and cycles', () => {
    const model = mlp();
    nodesOf(model)[0].input = ['x', 'missing'];
    expect(checkTopologicalOrder(model)).toMatchObject({
      ok: false,
      node: 'mm1',
      value: 'missing',
      definedLater: false,
    });
    expect(errorOf(() => sortTopologically(model)).message).toMatch(/node mm1 \(MatMul\) reads missing/);
    const cyclic = mlp();
    nodesOf(cyclic)[0].input = ['x', 'h_relu']; // mm1 <- relu <- add1 <- mm1
    expect(errorOf(() => sortTopologically(cyclic)).message).toMatch(/cycle through .*mm1.*add1.*relu/);
  });
});

describe('values captured by subgraphs (If/Loop bodies)', () => {
  it('count as reads of the enclosing node for ordering, pruning and renaming', () => {
    const model = mlp();
    // An If whose branches read the outer value h_relu; put it before relu to break the order.
    const branch = (output: string) =>
      onnx.GraphProto.create({
        name: output,
        node: [{ name: `${output}_id`, opType: 'Identity', input: ['h_relu'], output: [output] }],
        output: [{ name: output }],
      });
    model.setInitializer('flag', createTensor('bool', [], [1]));
    const graph = model.graph();
    graph.node?.splice(1, 0, {
      name: 'if',
      opType: 'If',
      input: ['flag'],
      output: ['picked'],
      attribute: [
        { name: 'then_branch', type: 5, g: branch('a') },
        { name: 'else_branch', type: 5, g: branch('b') },
      ],
    });
    expect(checkTopologicalOrder(model)).toMatchObject({
      ok: false,
      node: 'if',
      value: 'h_relu',
      definedLater: true,
    });
    sortTopologically(model);
    expect(order(model)).toEqual(['mm1', 'add1', 'relu', 'if', 'mm2', 'add2']);
    renameValue(model, 'h_relu', 'activation');
    expect(nodesOf(model)[3].attribute?.[0].g?.node?.[0].input).toEqual(['activation']);
    expect(pruneDeadNodes(model).removedNodes).toEqual(['if']);
  });
});

describe('insertNode / removeNode / renameValue', () => {
  it('inserts on an edge after the producer, and removing with reconnect restores the graph', () => {
    const model = mlp();
    const before = onnx.ModelProto.encode(model.proto).finish();
    expect(
      errorOf(() => insertNode(model, { opType: 'Mul', inputs: ['h_relu', 'scale'], outputs: ['s'] }))
        .message,
    ).toMatch(/input scale is not defined/);
    model.setInitializer('scale', createTensor('float32', [], [2]));
    const name = insertNode(
      model,
      { opType: 'Mul', inputs: ['h_relu', 'scale'], outputs: ['h_scaled'] },
      { rewireConsumersOf: 'h_relu', after: 'relu' },
    );
    expect(name).toBe('Mul_0');
    expect(checkTopologicalOrder(model)).toEqual({ ok: true });
    expect(order(model)).toEqual(['mm1', 'add1', 'relu', 'Mul_0', 'mm2', 'add2']);
    expect(nodesOf(model)[4].input).toEqual(['h_scaled', 'W2']);
    removeNode(model, 'Mul_0', { reconnect: true });
    pruneDeadNodes(model);
    expect(onnx.ModelProto.encode(model.proto).finish()).toEqual(before);
  });

  it('places nodes after the last producer by default and imports domains on request', () => {
    const model = mlp();
    insertNode(model, { opType: 'Relu', inputs: ['h'], outputs: ['h2'], name: 'extra' });
    expect(order(model)).toEqual(['mm1', 'extra', 'add1', 'relu', 'mm2', 'add2']);
    const spec = {
      opType: 'FastGelu',
      domain: 'com.microsoft',
      inputs: ['h'],
      outputs: ['g'],
      attributes: { alpha: 0.5 },
    };
    expect(errorOf(() => insertNode(model, spec)).message).toMatch(
      /"com.microsoft" is not imported.*opsetVersion/,
    );
    insertNode(model, spec, { opsetVersion: 1 });
    expect(model.proto.opsetImport?.map((opset) => opset.domain)).toEqual(['', 'com.microsoft']);
    const gelu = nodesOf(model).find((node) => node.opType === 'FastGelu');
    expect(gelu?.attribute?.[0]).toMatchObject({ name: 'alpha', type: 1, f: 0.5 });
    expect(
      errorOf(() => insertNode(model, { opType: 'Relu', inputs: ['h'], outputs: ['y'] })).message,
    ).toMatch(/output y is already defined/);
    expect(
      errorOf(() => insertNode(model, { opType: 'Relu', inputs: ['zz'], outputs: ['q'] })).message,
    ).toMatch(/input zz/);
    expect(
      errorOf(() => insertNode(model, { opType: 'Relu', inputs: ['h'], outputs: ['q'], name: 'extra' }))
        .message,
    ).toMatch(/already exists/);
  });

  it('refuses to remove a node whose outputs are read, naming the readers', () => {
    const model = mlp();
    expect(errorOf(() => removeNode(model, 'relu')).message).toMatch(/used by node mm2/);
    expect(errorOf(() => removeNode(model, 'add2')).message).toMatch(/graph output y/);
    expect(errorOf(() => removeNode(model, 'nope')).code).toBe('X_GRAPH');
  });

  it('renames a value everywhere and refuses collisions', () => {
    const model = mlp();
    renameValue(model, 'h', 'hidden');
    expect(nodesOf(model)[0].output).toEqual(['hidden']);
    expect(nodesOf(model)[1].input).toEqual(['hidden', 'b1']);
    expect(model.graph().valueInfo?.[0].name).toBe('hidden');
    renameValue(model, 'W1', 'w_in');
    expect(model.graph().initializer?.[0].name).toBe('w_in');
    expect(model.getInitializer('w_in').dims).toEqual([16, 32]);
    renameValue(model, 'y', 'logits');
    expect(outputs(model)).toEqual(['logits']);
    expect(errorOf(() => renameValue(model, 'o', 'b2')).message).toMatch(/already used/);
    expect(errorOf(() => renameValue(model, 'zz', 'q')).message).toMatch(/defines zz/);
  });
});

describe('pruneDeadNodes', () => {
  it('drops nodes and initializers that reach no output', () => {
    const model = mlp();
    model.graph().output = [onnx.ValueInfoProto.create({ name: 'h_relu' })];
    expect(pruneDeadNodes(model)).toEqual({
      removedNodes: ['mm2', 'add2'],
      removedInitializers: ['W2', 'b2'],
    });
    expect(order(model)).toEqual(['mm1', 'add1', 'relu']);
    expect(model.listInitializers().map((info) => info.name)).toEqual(['W1', 'b1']);
  });
});
