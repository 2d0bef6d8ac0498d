import { XError } from '../../errors';
import type { OnnxModel } from '../model';
import { describeNode, nodeInputs, producers, sourceValues } from './graph-values';

/**
 * Reorders the graph's nodes so that every value is produced before it is read (Kahn's algorithm,
 * stable: among ready nodes the original order wins, so an already sorted graph is unchanged).
 * Throws `X_GRAPH` naming a node that reads an undefined value, or the nodes of a cycle.
 */
export function sortTopologically(model: OnnxModel): void {
  const graph = model.graph();
  const nodes = graph.node ?? [];
  const sources = sourceValues(graph);
  const producedBy = producers(graph);
  const pending = new Array<number>(nodes.length).fill(0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((node, index) => {
    const needs = new Set<number>();
    for (const value of nodeInputs(node)) {
      if (sources.has(value)) continue;
      const producer = producedBy.get(value);
      if (producer === undefined) {
        throw new XError(
          'X_GRAPH',
          `${describeNode(node, index)} reads ${value}, which no node, input or initializer defines`,
          {
            details: { node: node.name, value },
          },
        );
      }
      if (producer !== index) needs.add(producer);
      else {
        throw new XError('X_GRAPH', `${describeNode(node, index)} reads its own output ${value}`, {
          details: { node: node.name, value },
        });
      }
    }
    pending[index] = needs.size;
    for (const producer of needs) dependents[producer].push(index);
  });
  // A binary heap keyed by original index keeps the order stable in O(n log n).
  const ready = new MinHeap();
  pending.forEach((count, index) => {
    if (count === 0) ready.push(index);
  });
  const order: number[] = [];
  while (ready.size > 0) {
    const index = ready.pop();
    order.push(index);
    for (const next of dependents[index]) {
      pending[next] -= 1;
      if (pending[next] === 0) ready.push(next);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.map((node, index) => ({ node, index })).filter(({ index }) => pending[index] > 0);
    throw new XError(
      'X_GRAPH',
      `the graph has a cycle through ${stuck.map(({ node, index }) => describeNode(node, index)).join(', ')}`,
      { details: { nodes: stuck.map(({ node }) => node.name) } },
    );
  }
  graph.node = order.map((index) => nodes[index]);
}

class MinHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent] <= items[i]) break;
      [items[parent], items[i]] = [items[i], items[parent]];
      i = parent;
    }
  }
  pop(): number {
    const items = this.items;
    const top = items[0];
    const last = items.pop() as number;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && items[left] < items[smallest]) smallest = left;
        if (right < items.length && items[right] < items[smallest]) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i], items[smallest]];
        i = smallest;
      }
    }
    return top;
  }
}
