/**
 * Online rotations (brief §7.2-7.3, §7.5): R4 = H_{d_ff} on the down_proj input with its inverse fused into
 * down_proj (`W ← W H_nᵀ`), and R3 = H_{hd} per head on Q and K after RoPE (QKᵀ unchanged, so nothing to
 * fuse; it only helps K-cache quantization). Both as the two-MatMul Kronecker form (`emitOnlineHadamard`).
 */
import type { DecoderAnatomy, LayerAnatomy, NodeProto, OnnxModel, ProjectionAnatomy } from '@x/core';
import { hadamardTransform, type Kernels } from '@x/kernels-wasm';
import { QuantError } from '../errors';
import { emitOnlineHadamard } from '../graph/emit-online-hadamard';
import { insertNodesBefore, replaceInputUses } from '../graph/onnx-nodes';
import { transpose } from '../internal/dense';
import { applyHadamard } from '../rotation/apply-hadamard';
import { factorHadamard } from '../rotation/hadamard-factors';
import {
  editFloatInitializer,
  layoutOf,
  readProjectionWeight,
  writeProjectionWeight,
} from './projection-weights';

/** W ← W H_nᵀ on @x/kernels-wasm's Hadamard kernel (same H_K ⊗ H_{2^m} order as `applyHadamard`). */
function fuseHadamardWithKernels(
  model: OnnxModel,
  down: ProjectionAnatomy,
  n: number,
  kernels: Kernels,
  inPlace: boolean,
): void {
  const outIn = layoutOf(down) === 'out-in';
  editFloatInitializer(model, down.weight, inPlace, (data) => {
    const others = data.length / n;
    if (outIn) {
      // rows of [out, n] in blocks, so the wasm heap holds one block
      for (let start = 0; start < others; start += 256) {
        const rows = Math.min(256, others - start);
        const block = data.subarray(start * n, (start + rows) * n);
        hadamardTransform(kernels, block, { n, rows, out: block });
      }
      return;
    }
    // [n, out]: transform the columns, one block of columns at a time
    const block = new Float32Array(256 * n);
    for (let start = 0; start < others; start += 256) {
      const cols = Math.min(256, others - start);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < cols; j++) block[j * n + i] = data[i * others + start + j];
      const view = block.subarray(0, cols * n);
      hadamardTransform(kernels, view, { n, rows: cols, out: view });
      for (let i = 0; i < n; i++)
        for (let j = 0; j < cols; j++) data[i * others + start + j] = block[j * n + i];
    }
  });
}

function nodeNamed(model: OnnxModel, name: string): NodeProto {
  const node = (model.graph().node ?? []).find((n) => n.name === name);
  if (!node)
    throw new QuantError('QUANT_UNSUPPORTED_MODEL', `node ${name} not found`, { details: { node: name } });
  return node;
}

/**
 * Inserts the Hadamard on `value` right before `beforeNode`. With `only`, just that node is rewired to the
 * rotated value; otherwise every reader except the new nodes is.
 */
function insertOn(
  model: OnnxModel,
  value: string,
  n: number,
  scope: string,
  beforeNode: string,
  blocks: boolean,
  only?: NodeProto,
): string {
  const { nodes, output } = emitOnlineHadamard(model, value, { n, scope, blocks });
  insertNodesBefore(model, beforeNode, nodes);
  if (only) only.input = (only.input ?? []).map((v) => (v === value ? output : v));
  else replaceInputUses(model, value, output, new Set(nodes.map((node) => node.name ?? '')));
  return output;
}

/**
 * R4 before every down_proj, with H_nᵀ fused into the down weight. Returns, per layer, the value down_proj
 * now reads (the Hadamard output), which the anatomy found before the insertion does not know.
 */
export function insertR4(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  options: { kernels?: Kernels; inPlace?: boolean } = {},
): string[] {
  const n = anatomy.config.intermediateSize;
  factorHadamard(n); // typed error before any edit when n has no Hadamard matrix
  return anatomy.layers.map((layer) => {
    const down: ProjectionAnatomy = layer.down;
    if (options.kernels) {
      fuseHadamardWithKernels(model, down, n, options.kernels, options.inPlace ?? false);
      const node = nodeNamed(model, down.node);
      return insertOn(model, down.input, n, `/model/layers.${layer.index}/mlp/r4`, down.node, false, node);
    }
    const { matrix, layout } = readProjectionWeight(model, down);
    // W ← W H_nᵀ: every row w of the [out, in] weight becomes H_n w, i.e. the Kronecker transform of the row
    // (K²·2^m + K·4^m per row instead of a dense n² product). For [in, out], transform the transpose's rows.
    if (layout === 'out-in') {
      writeProjectionWeight(model, down, applyHadamard(matrix));
    } else {
      const t = transpose(matrix.data, matrix.rows, matrix.cols);
      const rotated = applyHadamard({ rows: matrix.cols, cols: matrix.rows, data: t });
      writeProjectionWeight(model, down, {
        rows: matrix.rows,
        cols: matrix.cols,
        data: transpose(rotated.data, matrix.cols, matrix.rows),
      });
    }
    const node = nodeNamed(model, down.node);
    // Only down_proj reads the rotated value (its weight now expects it); any other reader keeps the original.
    return insertOn(model, down.input, n, `/model/layers.${layer.index}/mlp/r4`, down.node, false, node);
  });
}

/**
 * The value RoPE produces for `projection` (q or k). Walks forward from the projection's output through
 * layout noise (Reshape/Transpose/Cast/Identity) to the RoPE: a `RotaryEmbedding` node (its output), or
 * in decomposed graphs the `Mul(x, cos)` whose `Add` with `Mul(rotate_half(x), sin)` is the result.
 * Undefined when RoPE happens inside the attention op (GQA do_rotary=1) or no RoPE is found.
 */
function ropeOutput(
  model: OnnxModel,
  layer: LayerAnatomy,
  projection: ProjectionAnatomy,
): string | undefined {
  if (layer.rotary.kind === 'gqa' || layer.rotary.kind === 'none') return undefined;
  const nodes = model.graph().node ?? [];
  const readers = new Map<string, NodeProto[]>();
  for (const node of nodes)
    for (const input of node.input ?? []) readers.set(input, [...(readers.get(input) ?? []), node]);
  const noise = new Set(['Reshape', 'Transpose', 'Cast', 'Identity']);
  let frontier = [projection.output];
  for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const value of frontier) {
      for (const reader of readers.get(value) ?? []) {
        if (reader.opType === 'RotaryEmbedding') return reader.output?.[0];
        if (
          reader.opType === 'Mul' &&
          layer.rotary.cos !== undefined &&
          (reader.input ?? []).includes(layer.rotary.cos)
        ) {
          const add = (readers.get(reader.output?.[0] ?? '') ?? []).find((n) => n.opType === 'Add');
          if (add) return add.output?.[0];
        }
        if (noise.has(reader.opType ?? '')) next.push(...(reader.output ?? []));
      }
    }
    frontier = next;
  }
  throw new QuantError(
    'QUANT_UNSUPPORTED_MODEL',
    `layer ${layer.index}: cannot locate the RoPE output of ${projection.node}`,
    { details: { node: projection.node, layer: layer.index } },
  );
}

/** The key after RoPE in `layer`, or undefined where RoPE runs inside GroupQueryAttention. */
export function keyAfterRope(model: OnnxModel, layer: LayerAnatomy): string | undefined {
  return ropeOutput(model, layer, layer.k);
}

/**
 * R3 on q and k after RoPE in every layer. Returns the layers skipped because RoPE runs inside the
 * attention op (fused GQA with do_rotary=1), where there is no value to rotate, and per layer the rotated
 * key that attention now reads (undefined where skipped).
 */
export function insertR3(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
): { skipped: number[]; keys: (string | undefined)[] } {
  const skipped: number[] = [];
  const keys: (string | undefined)[] = [];
  const hd = anatomy.config.headDim;
  for (const layer of anatomy.layers) {
    const targets = [layer.q, layer.k].map((p) => ropeOutput(model, layer, p));
    if (targets.some((t) => t === undefined)) {
      skipped.push(layer.index);
      keys.push(undefined);
      continue;
    }
    const outputs = targets.map((value, i) => {
      const readers = (model.graph().node ?? []).filter((n) => (n.input ?? []).includes(value!));
      const first = readers[0]?.name ?? undefined;
      return insertOn(
        model,
        value!,
        hd,
        `/model/layers.${layer.index}/self_attn/r3_${i === 0 ? 'q' : 'k'}`,
        first!,
        true,
      );
    });
    keys.push(outputs[1]);
  }
  return { skipped, keys };
}
