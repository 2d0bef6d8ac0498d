import { describe, expect, it } from 'vitest';
import type { GraphProto } from '../proto';
import { graphInputsNeeded } from './graph-inputs-needed';

// a → Add(a, b) → c → Mul(c, m) → out; d feeds only an If's subgraph; e is unused.
const graph: GraphProto = {
  input: ['a', 'b', 'm', 'd', 'e'].map((name) => ({ name })),
  node: [
    { opType: 'Add', input: ['a', 'b'], output: ['c'] },
    { opType: 'Mul', input: ['c', 'm'], output: ['out'] },
    {
      opType: 'If',
      input: ['cond'],
      output: ['branch'],
      attribute: [
        { name: 'then_branch', g: { node: [{ opType: 'Identity', input: ['d'], output: ['x'] }] } },
      ],
    },
  ],
};

describe('graphInputsNeeded', () => {
  it('walks producers back to graph inputs, in graph input order, stopping at supplied values', () => {
    expect(graphInputsNeeded(graph, ['out'], [])).toEqual(['a', 'b', 'm']);
    expect(graphInputsNeeded(graph, ['out'], ['c'])).toEqual(['m']);
    expect(graphInputsNeeded(graph, ['c'], ['a'])).toEqual(['b']);
  });

  it('follows the inputs read inside control-flow subgraphs', () => {
    expect(graphInputsNeeded(graph, ['branch'], [])).toEqual(['d']);
  });
});
