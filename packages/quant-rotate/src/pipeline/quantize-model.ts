/**
 * `quantizeModel`: rotation + quantization of a Llama-family ONNX decoder, end to end (QuaRot arXiv
 * 2404.00456, SpinQuant arXiv 2405.16406, DartQuant arXiv 2511.04063; brief §7-§9):
 *
 *   untie the LM head → fold RMSNorm γ → [DartQuant: capture activations, learn R1/R2] → fuse R1, R2 →
 *   insert online R4 (+ fold) and R3 → [GPTQ: capture layer inputs, Hessians] → MatMulNBits weights.
 *
 * The input model is never modified (the work happens on a clone) unless `inPlace` is set. Without quantization (weightBits 16)
 * the rotated model computes the same logits up to float32 rounding. GPTQ follows the sequential protocol
 * (brief §0): layer l's Hessians are collected on the rotated model whose earlier layers are already
 * quantized, with the online Hadamards active and activations in float (QuaRot); the papers' finer
 * "true-sequential" order inside a layer ([k,v,q] → [o] → [up,gate] → [down]) is not done.
 */
import {
  type Backend,
  type DecoderAnatomy,
  findDecoderAnatomy,
  loadBackend,
  type OnnxModel,
  pruneDeadNodes,
  throwIfAborted,
} from '@x/core';
import { getKernels, type Kernels } from '@x/kernels-wasm';
import { captureValues } from '../calibrate/capture-values';
import { createHessianAccumulator, type HessianAccumulator } from '../quant/hessian';
import { foldNorms } from '../transform/fold-norms';
import { fuseR1, fuseR2 } from '../transform/fuse-rotations';
import { insertActivationFakeQuant } from '../transform/insert-activation-fake-quant';
import { insertKvFakeQuant } from '../transform/insert-kv-fake-quant';
import { insertR3, insertR4, keyAfterRope } from '../transform/insert-online-hadamards';
import { type EmbeddingQuantReport, quantizeEmbedding } from '../transform/quantize-embedding';
import { type ProjectionQuantReport, quantizeProjection } from '../transform/quantize-projections';
import { untieEmbedding } from '../transform/untie-embedding';
import { chooseFixedRotations, type Rotations } from './choose-rotations';
import { type DartQuantReport, learnDartQuantRotations } from './learn-dartquant-rotations';
import {
  type QuantizeModelOptions,
  type ResolvedQuantizeModelOptions,
  resolveQuantizeModelOptions,
} from './quantize-model-options';

export interface QuantizeModelReport {
  options: ResolvedQuantizeModelOptions;
  model: DecoderAnatomy['config'] & { tiedEmbeddings: boolean };
  rotation: {
    method: ResolvedQuantizeModelOptions['rotate'];
    untied: boolean;
    r3: { applied: boolean; skippedLayers: number[] };
    /** Simulated K/V quantization (`kvBits`); K is skipped where RoPE runs inside GroupQueryAttention. */
    kv: { bits: number; keySkippedLayers: number[] };
    r4: { applied: boolean };
    dartquant?: DartQuantReport;
  };
  projections: ProjectionQuantReport[];
  /** The 4-bit embedding (`quantizeEmbedding`), when it was quantized. */
  embedding?: EmbeddingQuantReport;
  /** Bytes of all initializers before and after. */
  initializerBytes: { before: number; after: number };
  warnings: string[];
  seconds: number;
}

export interface QuantizeModelResult {
  /** The new model (the input is untouched). Write it with core's `writeModel`. */
  model: OnnxModel;
  report: QuantizeModelReport;
}

function initializerBytes(model: OnnxModel): number {
  return model.listInitializers().reduce((sum, info) => sum + (info.byteLength ?? 0), 0);
}

async function resolveBackend(name: ResolvedQuantizeModelOptions['backend']): Promise<Backend> {
  return loadBackend(name === 'auto' ? { prefer: ['node', 'web'] } : name);
}

/** Rotates and quantizes `model` (see the module comment); returns a new model and a JSON report. */
export async function quantizeModel(
  model: OnnxModel,
  options: QuantizeModelOptions = {},
): Promise<QuantizeModelResult> {
  const started = performance.now();
  const resolved = resolveQuantizeModelOptions(options);
  const { onProgress, signal } = options;
  const sequences = options.calibration?.sequences ?? [];
  const warnings: string[] = [];
  const work = resolved.inPlace ? model : model.clone();
  let kernels: Kernels | undefined;
  if (resolved.kernels) {
    try {
      kernels = await getKernels();
    } catch (error) {
      // Same results from the fp64 TS twins, only slower: warn instead of failing.
      warnings.push(
        `@x/kernels-wasm could not be loaded (${error instanceof Error ? error.message : String(error)}): the fp64 TS twins were used`,
      );
    }
  }
  const before = initializerBytes(work);

  let anatomy = findDecoderAnatomy(work.proto);
  const tiedEmbeddings = anatomy.lmHead.tied;
  const rotating = resolved.rotate !== 'none';
  let untied = false;
  let dartquant: DartQuantReport | undefined;
  let r3Skipped: number[] = [];
  let r3Keys: (string | undefined)[] = [];
  let downInputs: string[] | undefined;

  if (rotating) {
    if (untieEmbedding(work, anatomy) !== undefined) {
      untied = true;
      anatomy = findDecoderAnatomy(work.proto);
    }
    throwIfAborted(signal, 'fold-norms');
    foldNorms(work, anatomy, { inPlace: resolved.inPlace });
    onProgress?.({ phase: 'fold-norms', done: 1, total: 1 });
    let rotations: Rotations;
    if (resolved.rotate === 'dartquant') {
      const learned = await learnDartQuantRotations(
        work,
        anatomy,
        await resolveBackend(resolved.backend),
        sequences,
        {
          seed: resolved.seed,
          r1: options.dartquant?.r1,
          r2: options.dartquant?.r2,
          captureTokensPerSample: resolved.captureTokensPerSample,
          kernels,
          onProgress,
          signal,
        },
      );
      rotations = learned.rotations;
      dartquant = learned.report;
      warnings.push(...learned.report.warnings);
    } else {
      rotations = chooseFixedRotations(anatomy, resolved.rotate as 'hadamard' | 'orthogonal', resolved.seed);
    }
    throwIfAborted(signal, 'rotate');
    fuseR1(work, anatomy, rotations.r1, { kernels, inPlace: resolved.inPlace });
    fuseR2(work, anatomy, rotations.r2);
    onProgress?.({ phase: 'rotate', done: 1, total: 1 });
  }
  if (resolved.r4) downInputs = insertR4(work, anatomy, { kernels, inPlace: resolved.inPlace });
  if (resolved.r3) {
    ({ skipped: r3Skipped, keys: r3Keys } = insertR3(work, anatomy));
    if (r3Skipped.length > 0) {
      warnings.push(
        `R3 skipped in ${r3Skipped.length} layer(s): RoPE runs inside GroupQueryAttention (do_rotary=1)`,
      );
    }
  }

  const layers = anatomy.layers.map((layer, l) => ({
    layer,
    groups: [
      { input: layer.q.input, targets: [layer.q, layer.k, layer.v] },
      { input: layer.o.input, targets: [layer.o] },
      { input: layer.gate.input, targets: [layer.gate, layer.up] },
      { input: downInputs?.[l] ?? layer.down.input, targets: [layer.down] },
    ],
  }));
  const projections: ProjectionQuantReport[] = [];
  if (resolved.weightBits !== 16) {
    const projectionOptions = {
      bits: resolved.weightBits,
      groupSize: resolved.groupSize,
      symmetric: resolved.symmetric,
      clip: resolved.clip,
      damping: resolved.damping,
      actOrder: resolved.actOrder,
      accuracyLevel: resolved.activationBits === 8 ? 4 : 0,
    };
    const backend = resolved.gptq ? await resolveBackend(resolved.backend) : undefined;
    // Sequential protocol (brief §0): layer l's Hessians come from the model whose layers < l are already
    // quantized; one pass over all layers at once when `sequential` is off.
    const passes = resolved.gptq && resolved.sequential ? layers.map((entry) => [entry]) : [layers];
    let done = 0;
    for (const pass of passes) {
      throwIfAborted(signal, 'quantize-layer');
      const hessians = new Map<string, HessianAccumulator>();
      if (backend) {
        await captureValues(
          work,
          anatomy,
          backend,
          sequences,
          pass.flatMap((entry) => entry.groups.map((g) => g.input)),
          (captured) => {
            for (const [name, matrix] of captured) {
              let acc = hessians.get(name);
              if (!acc) hessians.set(name, (acc = createHessianAccumulator(matrix.cols)));
              acc.add(matrix);
            }
          },
          { phase: 'capture-activations', onProgress, signal },
        );
      }
      for (const { groups } of pass) {
        throwIfAborted(signal, 'quantize-layer');
        for (const group of groups) {
          const hessian = hessians.get(group.input)?.hessian();
          for (const target of group.targets) {
            projections.push(quantizeProjection(work, target, { ...projectionOptions, hessian }));
          }
        }
        onProgress?.({ phase: 'quantize-layer', done: ++done, total: layers.length });
      }
      // Drop the replaced float weights now, so the next pass's session does not carry them.
      if (passes.length > 1) pruneDeadNodes(work);
    }
    if (resolved.quantizeLmHead) {
      if (anatomy.lmHead.opType === 'MatMul')
        projections.push(quantizeProjection(work, anatomy.lmHead, projectionOptions));
      else warnings.push(`LM head ${anatomy.lmHead.node} is a ${anatomy.lmHead.opType}: left in float`);
    }
  }
  let embedding: EmbeddingQuantReport | undefined;
  if (resolved.quantizeEmbedding) {
    if (resolved.weightBits !== 4) {
      warnings.push(
        `embedding left in float: quantizeEmbedding needs weightBits 4 (got ${resolved.weightBits})`,
      );
    } else {
      const result = quantizeEmbedding(work, anatomy, { groupSize: resolved.groupSize, clip: resolved.clip });
      if ('report' in result) embedding = result.report;
      else warnings.push(`embedding left in float: ${result.skipped}`);
    }
  }
  // Simulated activation quantization goes in last, so GPTQ's Hessians see float activations (QuaRot).
  if (resolved.activationBits === 4) {
    for (const { layer, groups } of layers) {
      groups.forEach((group, g) => {
        const targets = group.targets.flatMap((t) => [t.node, `${t.node}_Q${resolved.weightBits}`]);
        insertActivationFakeQuant(work, group.input, targets, {
          bits: 4,
          clipRatio: resolved.activationClip,
          scope: `/model/layers.${layer.index}/act_quant_${g}`,
        });
      });
    }
  }
  // K after RoPE and R3, V at the v_proj output, per (token, head) (brief §7.4); last, like the A4 nodes.
  const kvSkipped: number[] = [];
  if (resolved.kvBits !== 16) {
    const headDim = anatomy.config.headDim;
    for (const layer of anatomy.layers) {
      const scope = `/model/layers.${layer.index}/self_attn/kv_quant`;
      const quant = { headDim, bits: resolved.kvBits, clipRatio: resolved.kvClip };
      const key = r3Keys[layer.index] ?? keyAfterRope(work, layer);
      if (key === undefined) kvSkipped.push(layer.index);
      else insertKvFakeQuant(work, key, { ...quant, scope: `${scope}_k` });
      insertKvFakeQuant(work, layer.v.output, { ...quant, scope: `${scope}_v` });
    }
    if (kvSkipped.length > 0) {
      warnings.push(
        `K quantization skipped in ${kvSkipped.length} layer(s): RoPE runs inside GroupQueryAttention (do_rotary=1)`,
      );
    }
  }
  if (resolved.weightBits !== 16) pruneDeadNodes(work);

  return {
    model: work,
    report: {
      options: resolved,
      model: { ...anatomy.config, tiedEmbeddings },
      rotation: {
        method: resolved.rotate,
        untied,
        r3: { applied: resolved.r3 && r3Skipped.length < anatomy.layers.length, skippedLayers: r3Skipped },
        r4: { applied: resolved.r4 },
        kv: { bits: resolved.kvBits, keySkippedLayers: kvSkipped },
        ...(dartquant ? { dartquant } : {}),
      },
      projections,
      ...(embedding ? { embedding } : {}),
      initializerBytes: { before, after: initializerBytes(work) },
      warnings,
      seconds: (performance.now() - started) / 1000,
    },
  };
}
