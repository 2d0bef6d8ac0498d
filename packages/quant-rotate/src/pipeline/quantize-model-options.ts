/**
 * Options of `quantizeModel`, resolved in one place and echoed in the report. Defaults follow QuaRot /
 * DartQuant's W4 setting where the papers agree (brief §7.4, §8.6): Hadamard R1, exact Hadamard per head
 * R2, online R3/R4, 4-bit symmetric weights in groups of 128 (DartQuant's script; ORT's block default), RTN.
 */
import type { BackendName } from '@x/core';
import type { WhipTrainingOptions } from '../dartquant/train-whip-rotations';
import { QuantError } from '../errors';
import { assertIntegerInRange, assertNumberInRange } from '../internal/validate';
import type { ProgressCallback } from '../types';

export type RotationMethod = 'dartquant' | 'hadamard' | 'orthogonal' | 'none';

export interface QuantizeModelOptions {
  /** How R1/R2 are chosen. @defaultValue 'hadamard' */
  rotate?: RotationMethod;
  /** Online Hadamard on Q/K after RoPE (for K-cache quantization). @defaultValue true unless rotate is 'none' */
  r3?: boolean;
  /** Online Hadamard before down_proj with its inverse fused. @defaultValue true unless rotate is 'none' */
  r4?: boolean;
  /** Weight bits: 2, 4, 8 (MatMulNBits) or 16 (keep float weights). @defaultValue 4 */
  weightBits?: 2 | 4 | 8 | 16;
  /** Weight group along K (power of two >= 16), 0 = per output channel. @defaultValue 128 */
  groupSize?: number;
  /** Symmetric weight grid. @defaultValue true */
  symmetric?: boolean;
  /** Weight clip ratio or `'mse'` (QuaRot `--w_clip`). @defaultValue 1 */
  clip?: number | 'mse';
  /** GPTQ instead of RTN (needs `calibration`). @defaultValue false */
  gptq?: boolean;
  /**
   * GPTQ layer by layer: layer l's Hessians from the model whose earlier layers are already quantized (one
   * calibration pass per layer). `false`: one pass on the float model for all layers (faster). @defaultValue true
   */
  sequential?: boolean;
  /** GPTQ damping (fraction of mean diag H). @defaultValue 0.01 */
  damping?: number;
  /** GPTQ act order. @defaultValue false */
  actOrder?: boolean;
  /**
   * Activation bits: 16 keeps float activations; 8 sets MatMulNBits `accuracy_level` 4 (ORT quantizes A to
   * int8 per block inside the kernel: real W4A8 on CPU); 4 inserts per-token asymmetric fake-quant nodes
   * before every quantized linear (simulated W4A4 for accuracy evaluation: ORT has no int4 activation
   * kernel, brief §9.2). @defaultValue 16
   */
  activationBits?: 4 | 8 | 16;
  /** Clip ratio of the simulated 4-bit activations (DartQuant's a_clip). @defaultValue 0.9 */
  activationClip?: number;
  /**
   * K/V bits: 16 keeps K and V in float; 4 or 8 inserts fake-quant nodes (per token and per head, asymmetric,
   * brief §7.4) on the key after RoPE and R3 and on the v_proj output, to study KV-cache quantization
   * accuracy (QuaRot's W4A4KV4). Simulation only: the cache is still stored in float. @defaultValue 16
   */
  kvBits?: 4 | 8 | 16;
  /** Clip ratio of the simulated K/V quantizer (the papers' K/V setting). @defaultValue 0.95 */
  kvClip?: number;
  /** Quantize the LM head too (QuaRot keeps it in 16 bit). @defaultValue false */
  quantizeLmHead?: boolean;
  /**
   * Store the token embedding in 4 bit (symmetric RTN in blocks of `groupSize` along d) and read it with ORT's
   * `com.microsoft.GatherBlockQuantized`: the vocab × d table is most of a small model's bytes. Needs
   * `weightBits: 4` and an untied table (rotations untie a tied head first). @defaultValue false
   */
  quantizeEmbedding?: boolean;
  /** Token id sequences for GPTQ and DartQuant (e.g. 128 × 2048 WikiText-2 in the papers). */
  calibration?: { sequences: readonly (readonly number[])[] };
  /** DartQuant training overrides (R1 and R2 get the paper defaults otherwise). */
  dartquant?: {
    r1?: Omit<WhipTrainingOptions, 'kernels' | 'onProgress' | 'signal'>;
    r2?: Omit<WhipTrainingOptions, 'kernels' | 'onProgress' | 'signal'>;
    /**
     * Token rows kept (seeded random subset) of each captured R1 sample, one per (sequence, layer, q/up
     * input): bounds the R1 data held in memory (24 layers × 2 × 128 × 2048 tokens would not fit); 0 keeps
     * every token. @defaultValue 0
     */
    captureTokensPerSample?: number;
  };
  /**
   * Run the heavy products (DartQuant's loss and gradient, the R1 fusion into every weight) on
   * @x/kernels-wasm's SIMD GEMM in float32; `false` uses the fp64 TS twins (slow beyond small models).
   * @defaultValue true
   */
  kernels?: boolean;
  /**
   * Rotate and quantize `model` itself instead of a clone (its initializers are overwritten in place and the
   * returned model is the same object): no second copy of the weights, for models near the memory limit.
   * @defaultValue false
   */
  inPlace?: boolean;
  /** Seed of every random rotation and sampler. @defaultValue 0 */
  seed?: number;
  /** Backend that runs calibration. @defaultValue prefer node, then web */
  backend?: BackendName;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface ResolvedQuantizeModelOptions {
  rotate: RotationMethod;
  r3: boolean;
  r4: boolean;
  weightBits: 2 | 4 | 8 | 16;
  groupSize: number;
  symmetric: boolean;
  clip: number | 'mse';
  gptq: boolean;
  sequential: boolean;
  damping: number;
  actOrder: boolean;
  activationBits: 4 | 8 | 16;
  activationClip: number;
  kvBits: 4 | 8 | 16;
  kvClip: number;
  quantizeLmHead: boolean;
  quantizeEmbedding: boolean;
  seed: number;
  backend: BackendName | 'auto';
  calibration: { sequences: number; tokens: number };
  captureTokensPerSample: number;
  kernels: boolean;
  inPlace: boolean;
}

function invalid(option: string, value: unknown, expected: string): QuantError {
  return new QuantError(
    'QUANT_INVALID_OPTION',
    `quantizeModel: ${option} must be ${expected}, got ${String(value)}`,
    {
      details: { option, value },
    },
  );
}

export function resolveQuantizeModelOptions(
  options: QuantizeModelOptions = {},
): ResolvedQuantizeModelOptions {
  const rotate = options.rotate ?? 'hadamard';
  if (!['dartquant', 'hadamard', 'orthogonal', 'none'].includes(rotate)) {
    throw invalid('rotate', rotate, "'dartquant', 'hadamard', 'orthogonal' or 'none'");
  }
  const weightBits = options.weightBits ?? 4;
  if (![2, 4, 8, 16].includes(weightBits)) {
    throw new QuantError(
      'QUANT_UNSUPPORTED_BITS',
      `quantizeModel: weightBits must be 2, 4, 8 or 16, got ${weightBits}`,
      {
        details: { option: 'weightBits', bits: weightBits, supported: [2, 4, 8, 16] },
      },
    );
  }
  const activationBits = options.activationBits ?? 16;
  if (![4, 8, 16].includes(activationBits)) {
    throw new QuantError(
      'QUANT_UNSUPPORTED_BITS',
      `quantizeModel: activationBits must be 4, 8 or 16, got ${activationBits}`,
      {
        details: { option: 'activationBits', bits: activationBits, supported: [4, 8, 16] },
      },
    );
  }
  const activationClip = options.activationClip ?? 0.9;
  assertNumberInRange(activationClip, 'activationClip', Number.MIN_VALUE, 1);
  const kvBits = options.kvBits ?? 16;
  if (![4, 8, 16].includes(kvBits)) {
    throw new QuantError(
      'QUANT_UNSUPPORTED_BITS',
      `quantizeModel: kvBits must be 4, 8 or 16, got ${kvBits}`,
      {
        details: { option: 'kvBits', bits: kvBits, supported: [4, 8, 16] },
      },
    );
  }
  const kvClip = options.kvClip ?? 0.95;
  assertNumberInRange(kvClip, 'kvClip', Number.MIN_VALUE, 1);
  const groupSize = options.groupSize ?? 128;
  if (
    groupSize !== 0 &&
    (!Number.isInteger(groupSize) || groupSize < 16 || (groupSize & (groupSize - 1)) !== 0)
  ) {
    throw new QuantError(
      'QUANT_INVALID_GROUP_SIZE',
      `quantizeModel: groupSize must be 0 or a power of two >= 16, got ${groupSize}`,
      {
        details: { option: 'groupSize', groupSize },
      },
    );
  }
  const clip = options.clip ?? 1;
  if (clip !== 'mse') assertNumberInRange(clip, 'clip', Number.MIN_VALUE, 1);
  const damping = options.damping ?? 0.01;
  assertNumberInRange(damping, 'damping', 0, 1e6);
  const seed = options.seed ?? 0;
  assertIntegerInRange(seed, 'seed', 0, 2 ** 32 - 1);
  const gptq = options.gptq ?? false;
  const sequences = options.calibration?.sequences ?? [];
  if ((gptq || rotate === 'dartquant') && sequences.length === 0) {
    throw new QuantError(
      'QUANT_NO_CALIBRATION',
      `quantizeModel: ${gptq ? 'GPTQ' : 'DartQuant'} needs calibration.sequences (token id arrays)`,
      { details: { option: 'calibration' } },
    );
  }
  if (gptq && weightBits === 16) throw invalid('gptq', gptq, 'false when weightBits is 16');
  const captureTokensPerSample = options.dartquant?.captureTokensPerSample ?? 0;
  assertIntegerInRange(captureTokensPerSample, 'dartquant.captureTokensPerSample', 0, 2 ** 31);
  const rotating = rotate !== 'none';
  return {
    rotate,
    r3: options.r3 ?? rotating,
    r4: options.r4 ?? rotating,
    weightBits,
    groupSize,
    symmetric: options.symmetric ?? true,
    clip,
    gptq,
    sequential: options.sequential ?? true,
    damping,
    actOrder: options.actOrder ?? false,
    activationBits,
    activationClip,
    kvBits,
    kvClip,
    quantizeLmHead: options.quantizeLmHead ?? false,
    quantizeEmbedding: options.quantizeEmbedding ?? false,
    seed,
    backend: options.backend ?? 'auto',
    calibration: { sequences: sequences.length, tokens: sequences.reduce((s, q) => s + q.length, 0) },
    captureTokensPerSample,
    kernels: options.kernels ?? true,
    inPlace: options.inPlace ?? false,
  };
}
