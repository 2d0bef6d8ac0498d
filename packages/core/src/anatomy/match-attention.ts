import type { onnx } from 'onnx-proto';
import { backwardRoot, forwardAliases, type Reach, sameValue, traceForward } from './dataflow';
import { type GraphIndex, intAttribute, unsupported } from './graph-index';
import { describeProjection, isProjection, type MatchedProjection } from './match-projection';
import type { AttentionAnatomy, KvNames, RotaryAnatomy } from './types';

const MS_ATTENTION = new Set(['GroupQueryAttention', 'MultiHeadAttention']);

export interface MatchedAttention {
  q: MatchedProjection;
  k: MatchedProjection;
  v: MatchedProjection;
  o: MatchedProjection;
  attention: AttentionAnatomy;
  rotary: RotaryAnatomy;
  past?: KvNames;
  present?: KvNames;
}

type Role = 'q' | 'k' | 'v';

/**
 * Given the three projections a norm feeds, finds which is q, k and v by where their data goes: slots 0/1/2 of
 * a GroupQueryAttention / MultiHeadAttention node, or (decomposed) the scores MatMul's left and right operand and
 * the context MatMul's right operand, the scores MatMul being the one that feeds Softmax.
 */
export function matchAttention(
  index: GraphIndex,
  projections: onnx.INodeProto[],
  layer: number,
): MatchedAttention {
  const traced = projections.map((node) => {
    const matched = describeProjection(index, node);
    return { matched, reach: traceForward(index, matched.flowOutput) };
  });
  const cores = new Set<onnx.INodeProto>();
  for (const { reach } of traced) {
    for (const arrival of reach.arrivals)
      if (MS_ATTENTION.has(arrival.node.opType ?? '')) cores.add(arrival.node);
  }
  const roles = new Map<Role, { matched: MatchedProjection; reach: Reach }>();
  const names = projections.map((node) => index.nameOf(node)).join(', ');
  let attention: AttentionAnatomy;
  let coreOutput: string;
  let past: KvNames | undefined;
  let present: KvNames | undefined;
  let rotary: RotaryAnatomy;

  if (cores.size === 1) {
    const core = [...cores][0];
    for (const entry of traced) {
      const arrival = entry.reach.arrivals.find((a) => a.node === core);
      const role = (['q', 'k', 'v'] as const)[arrival?.slot ?? -1];
      if (role) roles.set(role, entry);
    }
    requireRoles(index, roles, layer, names, core);
    const q = roles.get('q') as { matched: MatchedProjection; reach: Reach };
    const k = roles.get('k') as { matched: MatchedProjection; reach: Reach };
    const isGqa = core.opType === 'GroupQueryAttention';
    const numHeads = intAttribute(core, 'num_heads', 0);
    const headDim = numHeads > 0 ? q.matched.anatomy.outFeatures / numHeads : 0;
    const numKvHeads = isGqa
      ? intAttribute(core, 'kv_num_heads', 0)
      : k.matched.anatomy.outFeatures / headDim;
    attention = checkHeads(index, core, {
      kind: isGqa ? 'gqa' : 'mha',
      nodes: [index.nameOf(core)],
      numHeads,
      numKvHeads,
      headDim,
      output: '',
    });
    coreOutput = core.output?.[0] ?? '';
    const [pastKey, pastValue] = isGqa ? [3, 4] : [6, 7];
    past = kvIfGraphIo(index, core.input?.[pastKey], core.input?.[pastValue], 'input');
    present = kvIfGraphIo(index, core.output?.[1], core.output?.[2], 'output');
    rotary = rotaryOfCore(index, core, q.reach, k.reach);
  } else if (cores.size > 1) {
    throw unsupported(`layer ${layer}: q/k/v projections (${names}) feed several attention nodes`, { layer });
  } else {
    const softmaxOf = (matmul: onnx.INodeProto) => feedsSoftmax(index, matmul);
    const contextOf = (matmul: onnx.INodeProto) => softmaxBehind(index, matmul.input?.[0] ?? '');
    let scores: onnx.INodeProto | undefined;
    let context: onnx.INodeProto | undefined;
    for (const entry of traced) {
      for (const arrival of entry.reach.arrivals) {
        if (arrival.node.opType !== 'MatMul' || isProjection(index, arrival.node)) continue;
        if (softmaxOf(arrival.node)) {
          scores = arrival.node;
          roles.set(arrival.slot === 0 ? 'q' : 'k', entry);
        } else if (contextOf(arrival.node) && arrival.slot === 1) {
          context = arrival.node;
          roles.set('v', entry);
        }
      }
    }
    if (!scores || !context) {
      const unknown = traced.flatMap((entry) => entry.reach.unknown);
      if (unknown.length > 0) {
        const node = unknown[0];
        throw unsupported(
          `layer ${layer}: unknown op ${node.domain ? `${node.domain}.` : ''}${node.opType} at node ${index.nameOf(node)} between the q/k/v projections and attention`,
          { layer, node: index.nameOf(node), opType: node.opType },
        );
      }
      throw unsupported(
        `layer ${layer}: no attention (Softmax between two MatMuls, or GQA/MHA) after ${names}`,
        {
          layer,
          node: index.nameOf(projections[0]),
        },
      );
    }
    requireRoles(index, roles, layer, names, scores);
    const q = roles.get('q') as { matched: MatchedProjection; reach: Reach };
    const k = roles.get('k') as { matched: MatchedProjection; reach: Reach };
    const v = roles.get('v') as { matched: MatchedProjection; reach: Reach };
    past = kvFromConcat(index, k.reach, v.reach, 'input');
    present = kvFromConcat(index, k.reach, v.reach, 'output');
    const headDim = decomposedHeadDim(index, q.reach, past);
    if (!headDim) {
      throw unsupported(`layer ${layer}: cannot read the head size around ${index.nameOf(scores)}`, {
        layer,
        node: index.nameOf(scores),
      });
    }
    const softmax = contextOf(context) as onnx.INodeProto;
    attention = checkHeads(index, scores, {
      kind: 'decomposed',
      nodes: [index.nameOf(scores), index.nameOf(softmax), index.nameOf(context)],
      numHeads: q.matched.anatomy.outFeatures / headDim,
      numKvHeads: k.matched.anatomy.outFeatures / headDim,
      headDim,
      output: '',
    });
    coreOutput = context.output?.[0] ?? '';
    rotary = decomposedRotary(index, q.reach);
  }

  const after = traceForward(index, coreOutput);
  const outputs = after.arrivals.filter((a) => a.slot === 0 && isProjection(index, a.node));
  if (outputs.length !== 1) {
    throw unsupported(
      `layer ${layer}: expected one o_proj after attention node ${attention.nodes.at(-1)}, found ${outputs.length}`,
      {
        layer,
        node: attention.nodes.at(-1),
      },
    );
  }
  const o = describeProjection(index, outputs[0].node);
  attention.output = o.anatomy.input;
  return {
    q: roles.get('q')?.matched as MatchedProjection,
    k: roles.get('k')?.matched as MatchedProjection,
    v: roles.get('v')?.matched as MatchedProjection,
    o,
    attention,
    rotary,
    ...(past ? { past } : {}),
    ...(present ? { present } : {}),
  };
}

function requireRoles(
  index: GraphIndex,
  roles: Map<Role, unknown>,
  layer: number,
  names: string,
  core: onnx.INodeProto,
): void {
  const missing = (['q', 'k', 'v'] as const).filter((role) => !roles.has(role));
  if (missing.length > 0) {
    throw unsupported(
      `layer ${layer}: cannot tell ${missing.join('/')} apart among ${names} at ${index.nameOf(core)}`,
      {
        layer,
        node: index.nameOf(core),
      },
    );
  }
}

function checkHeads(index: GraphIndex, node: onnx.INodeProto, attention: AttentionAnatomy): AttentionAnatomy {
  const { numHeads, numKvHeads, headDim } = attention;
  const ok =
    [numHeads, numKvHeads, headDim].every((n) => Number.isInteger(n) && n > 0) && numHeads % numKvHeads === 0;
  if (!ok) {
    throw unsupported(
      `attention at ${index.nameOf(node)}: inconsistent heads (numHeads ${numHeads}, numKvHeads ${numKvHeads}, headDim ${headDim})`,
      { node: index.nameOf(node) },
    );
  }
  return attention;
}

/** True when the MatMul's output reaches a Softmax through scaling / masking elementwise ops. */
function feedsSoftmax(index: GraphIndex, matmul: onnx.INodeProto): boolean {
  const elementwise = new Set([
    'Mul',
    'Div',
    'Add',
    'Sub',
    'Where',
    'Cast',
    'Tanh',
    'Identity',
    'Reshape',
    'Slice',
  ]);
  let frontier = [matmul.output?.[0] ?? ''];
  for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
    const nextFrontier: string[] = [];
    for (const value of frontier) {
      for (const use of index.consumers(value)) {
        if (use.node.opType === 'Softmax') return true;
        if (elementwise.has(use.node.opType ?? '')) nextFrontier.push(use.node.output?.[0] ?? '');
      }
    }
    frontier = nextFrontier;
  }
  return false;
}

function kvIfGraphIo(
  index: GraphIndex,
  key: string | undefined,
  value: string | undefined,
  side: 'input' | 'output',
): KvNames | undefined {
  const find = (name: string | undefined) => {
    if (!name) return undefined;
    if (side === 'input') {
      const root = backwardRoot(index, name).value;
      return index.graphInputs.has(root) ? root : undefined;
    }
    return forwardAliases(index, name).find((alias) => index.graphOutputs.has(alias));
  };
  const k = find(key);
  const v = find(value);
  return k && v ? { key: k, value: v } : undefined;
}

/** Decomposed cache I/O: the Concat on the k (v) path whose other operand is a graph input, and its output. */
function kvFromConcat(index: GraphIndex, k: Reach, v: Reach, side: 'input' | 'output'): KvNames | undefined {
  const pick = (reach: Reach) => {
    for (const node of reach.visited) {
      if (node.opType !== 'Concat') continue;
      const pastInput = node.input?.find((input) => index.graphInputs.has(backwardRoot(index, input).value));
      if (!pastInput) continue;
      if (side === 'input') return backwardRoot(index, pastInput).value;
      return forwardAliases(index, node.output?.[0] ?? '').find((alias) => index.graphOutputs.has(alias));
    }
    return undefined;
  };
  const key = pick(k);
  const value = pick(v);
  return key && value ? { key, value } : undefined;
}

/** Head size: the static last dim of the past-key input, else the last entry of a 4-D constant Reshape on q. */
function decomposedHeadDim(index: GraphIndex, q: Reach, past: KvNames | undefined): number | undefined {
  const fromPast = past ? index.dimsOf(past.key)?.[3] : undefined;
  if (fromPast && fromPast > 0) return fromPast;
  for (const node of q.visited) {
    if (node.opType !== 'Reshape') continue;
    const shape = index.constantValues(node.input?.[1] ?? '');
    if (shape?.length === 4 && shape[3] > 0) return shape[3];
  }
  return undefined;
}

function rotaryOfCore(index: GraphIndex, core: onnx.INodeProto, q: Reach, k: Reach): RotaryAnatomy {
  const rotaryNodes = [...q.visited, ...k.visited].filter((node) => node.opType === 'RotaryEmbedding');
  if (rotaryNodes.length > 0) {
    const first = rotaryNodes[0];
    return {
      kind: 'rotary-embedding',
      nodes: rotaryNodes.map((node) => index.nameOf(node)),
      cosCache: first.input?.[2] ?? '',
      sinCache: first.input?.[3] ?? '',
      interleaved: intAttribute(first, 'interleaved', 0) === 1,
    };
  }
  if (core.opType === 'GroupQueryAttention' && intAttribute(core, 'do_rotary', 0) === 1) {
    return {
      kind: 'gqa',
      nodes: [index.nameOf(core)],
      cosCache: core.input?.[7] ?? '',
      sinCache: core.input?.[8] ?? '',
      interleaved: intAttribute(core, 'rotary_interleaved', 0) === 1,
    };
  }
  return decomposedRotary(index, q);
}

/**
 * Decomposed RoPE on q: `q·cos + rotate_half(q)·sin`. The Mul whose q-side operand went through the Concat
 * of rotate_half is the sin one; cos/sin come from Cos/Sin nodes (computed) or Gathers from cache initializers.
 */
function decomposedRotary(index: GraphIndex, q: Reach): RotaryAnatomy {
  const visited = new Set(q.visited.flatMap((node) => node.output ?? []));
  const muls = q.visited.filter((node) => node.opType === 'Mul');
  let cos: { mul: onnx.INodeProto; value: string; source: Source } | undefined;
  let sin: { mul: onnx.INodeProto; value: string; source: Source } | undefined;
  for (const mul of muls) {
    const other = mul.input?.find((input) => !visited.has(input) && !isTracedFrom(index, input, q));
    if (!other) continue;
    const source = trigSource(index, other);
    if (!source) continue;
    const qSide = mul.input?.find((input) => input !== other) ?? '';
    const viaRotateHalf = index.producer(backwardRoot(index, qSide).value)?.opType === 'Concat';
    const entry = { mul, value: other, source };
    if (source.op === 'Sin' || (source.op === 'cache' && viaRotateHalf)) sin = entry;
    else cos = entry;
  }
  if (!cos || !sin) return { kind: 'none', nodes: [], interleaved: false };
  return {
    kind: 'decomposed',
    nodes: [index.nameOf(cos.mul), index.nameOf(sin.mul)],
    cos: cos.value,
    sin: sin.value,
    computed: cos.source.op !== 'cache',
    ...(cos.source.cache ? { cosCache: cos.source.cache } : {}),
    ...(sin.source.cache ? { sinCache: sin.source.cache } : {}),
    interleaved: false,
  };
}

interface Source {
  op: 'Cos' | 'Sin' | 'cache';
  cache?: string;
}

function isTracedFrom(index: GraphIndex, value: string, q: Reach): boolean {
  const producer = index.producer(value);
  return producer !== undefined && q.visited.includes(producer);
}

/** Walks back through shape-only ops to a Cos/Sin node or a Gather from an initializer. */
function trigSource(index: GraphIndex, value: string): Source | undefined {
  const shaping = new Set([
    'Unsqueeze',
    'Squeeze',
    'Cast',
    'Reshape',
    'Expand',
    'Transpose',
    'Slice',
    'Identity',
  ]);
  let current = value;
  for (let depth = 0; depth < 16; depth++) {
    const node = index.producer(current);
    if (!node) return undefined;
    if (node.opType === 'Cos' || node.opType === 'Sin') return { op: node.opType };
    if (node.opType === 'Gather') {
      const data = backwardRoot(index, node.input?.[0] ?? '').value;
      if (index.isInitializer(data)) return { op: 'cache', cache: data };
      current = node.input?.[0] ?? '';
      continue;
    }
    if ((node.opType === 'Mul' || node.opType === 'Div') && node.input?.length === 2) {
      // HF scales cos/sin by `attention_scaling` (1 for plain RoPE): follow the non-constant operand.
      const [a, b] = node.input;
      const constantB = index.constantValues(b) !== undefined;
      if (!constantB && (node.opType === 'Div' || index.constantValues(a) === undefined)) return undefined;
      current = constantB ? a : b;
      continue;
    }
    if (!shaping.has(node.opType ?? '')) return undefined;
    current = node.input?.[0] ?? '';
  }
  return undefined;
}

/**
 * The Softmax whose probabilities reach `value` through noise ops, or undefined. torch's SDPA export guards fully
 * masked rows with `Where(IsNaN(p), 0, p)` after the Softmax; that guard is seen through too.
 */
function softmaxBehind(index: GraphIndex, value: string): onnx.INodeProto | undefined {
  const producer = index.producer(backwardRoot(index, value).value);
  if (producer?.opType === 'Softmax') return producer;
  if (producer?.opType === 'Where' && index.producer(producer.input?.[0] ?? '')?.opType === 'IsNaN') {
    const guarded = producer.input?.[2] ?? '';
    const isNan = index.producer(producer.input?.[0] ?? '');
    if (sameValue(index, isNan?.input?.[0] ?? '', guarded)) return softmaxBehind(index, guarded);
  }
  return undefined;
}
