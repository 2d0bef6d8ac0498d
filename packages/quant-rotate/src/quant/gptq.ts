/**
 * GPTQ (Frantar, Ashkboos, Hoefler, Alistarh, "GPTQ: Accurate Post-Training Quantization for
 * Generative Pre-trained Transformers", arXiv 2210.17323, Algorithm 1; reference `IST-DASLab/gptq:
 * gptq.py fasterquant`, as vendored by QuaRot `fake_quant/gptq_utils.py`; brief §7.4):
 *
 *   dead columns (H_jj = 0): H_jj ← 1, W[:, j] ← 0
 *   act order: permute columns by descending diag(H)
 *   H ← H + λ·mean(diag H)·I                         (damping λ = 1%)
 *   U = chol(H⁻¹)ᵀ (upper, H⁻¹ = Uᵀ U)               ("Cholesky reformulation", §4 step 3)
 *   for blocks of B = 128 columns, for column i in the block:
 *     q = Q(w_i);  e = (w_i − q) / U_ii
 *     W[:, i+1:blockEnd] −= e · U[i, i+1:blockEnd]     (immediate, inside the block)
 *   after the block: W[:, blockEnd:] −= E · U[block, blockEnd:]   ("lazy batch updates", §4 step 2)
 *
 * Groups: without act order, a group's grid is found when its first column is reached, from the
 * current (already error-compensated) weights. With act order the grids are fixed up front from the
 * original contiguous groups (GPTQ's `static_groups`), so the result stays a contiguous-group weight
 * that MatMulNBits can store. Deviation: the reference finds mid-block group grids on `W`, which does
 * not yet hold the in-block updates; here they see the updated values (the intended quantity). The
 * two agree whenever every group starts a block (group size a multiple of the block size, e.g. 128/128).
 */
import { throwIfAborted } from '@x/core';
import { QuantError } from '../errors';
import { assertIntegerInRange, assertMatrix, assertNumberInRange, assertSquare } from '../internal/validate';
import { inverseUpperCholesky } from '../linalg/cholesky';
import type { Matrix, ProgressCallback } from '../types';
import type { QuantizedWeight } from './quantized-weight';
import { dequantizeCode, findWeightGrid, quantizeCode, type WeightGrid } from './weight-grid';
import {
  type ResolvedWeightQuantOptions,
  resolveWeightQuantOptions,
  type WeightQuantOptions,
} from './weight-options';

export interface GptqOptions extends WeightQuantOptions {
  /** Damping λ as a fraction of mean(diag H) (`percdamp`). DartQuant's script uses 0.1. @defaultValue 0.01 */
  damping?: number;
  /** Quantize columns in order of descending Hessian diagonal. @defaultValue false */
  actOrder?: boolean;
  /** Columns per lazy-update block. @defaultValue 128 */
  blockSize?: number;
  /** Called after each block with phase `gptq-block`. */
  onProgress?: ProgressCallback;
  /** Checked between blocks; aborting throws `X_ABORTED`. */
  signal?: AbortSignal;
}

export interface ResolvedGptqOptions extends ResolvedWeightQuantOptions {
  damping: number;
  actOrder: boolean;
  blockSize: number;
}

export interface GptqResult {
  quantized: QuantizedWeight;
  /** GPTQ's own error estimate Σ (w − q)² / U_ii² / 2, summed over the layer. */
  loss: number;
  options: ResolvedGptqOptions;
}

/** Resolves GPTQ's defaults for a weight with `cols` input channels. */
export function resolveGptqOptions(options: GptqOptions, cols: number): ResolvedGptqOptions {
  const base = resolveWeightQuantOptions(options, cols);
  const damping = options.damping ?? 0.01;
  assertNumberInRange(damping, 'damping', 0, 1e6);
  const blockSize = options.blockSize ?? 128;
  assertIntegerInRange(blockSize, 'blockSize', 1, 1 << 20);
  return { ...base, damping, actOrder: options.actOrder ?? false, blockSize };
}

/** GPTQ-quantizes `weight` ([out, in]) against the layer Hessian `hessian` ([in, in]). */
export function quantizeGptq(weight: Matrix, hessian: Matrix, options: GptqOptions = {}): GptqResult {
  assertMatrix(weight, 'weight');
  const k = weight.cols;
  const n = weight.rows;
  assertSquare(hessian, 'hessian', k);
  const resolved = resolveGptqOptions(options, k);
  const { bits, symmetric, clip, damping, actOrder, blockSize } = resolved;
  const groupSize = resolved.groupSize === 0 ? k : resolved.groupSize;
  const groups = k / groupSize;

  const w = Float64Array.from(weight.data);
  const h = Float64Array.from(hessian.data);
  for (let j = 0; j < k; j++) {
    if (h[j * k + j] === 0) {
      h[j * k + j] = 1;
      for (let r = 0; r < n; r++) w[r * k + j] = 0;
    }
  }

  // perm[i] = original column quantized at step i.
  const perm = Array.from({ length: k }, (_, i) => i);
  if (actOrder) perm.sort((a, b) => h[b * k + b] - h[a * k + a] || a - b);

  // Per-channel grids, and static group grids under act order, come from the original weights.
  const grids: (WeightGrid | undefined)[] = new Array(n * groups);
  if (groups === 1 || actOrder) {
    for (let r = 0; r < n; r++) {
      for (let g = 0; g < groups; g++) {
        grids[r * groups + g] = findWeightGrid(w, r * k + g * groupSize, groupSize, 1, bits, symmetric, clip);
      }
    }
  }

  // Permuted working copies.
  const wp = new Float64Array(n * k);
  for (let r = 0; r < n; r++) for (let i = 0; i < k; i++) wp[r * k + i] = w[r * k + perm[i]];
  const hp = new Float64Array(k * k);
  let meanDiag = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) hp[i * k + j] = h[perm[i] * k + perm[j]];
    meanDiag += hp[i * k + i];
  }
  meanDiag /= k;
  const lambda = damping * meanDiag;
  for (let i = 0; i < k; i++) hp[i * k + i] += lambda;
  const u = inverseUpperCholesky(hp, k, 'hessian');

  const codes = new Uint8Array(n * k);
  const errors = new Float64Array(n * blockSize);
  let loss = 0;
  const totalBlocks = Math.ceil(k / blockSize);
  for (let i1 = 0, block = 0; i1 < k; i1 += blockSize, block++) {
    throwIfAborted(options.signal, 'gptq-block');
    const i2 = Math.min(i1 + blockSize, k);
    const count = i2 - i1;
    for (let i = i1; i < i2; i++) {
      const column = perm[i];
      const g = Math.floor(column / groupSize);
      if (!actOrder && groups > 1 && column % groupSize === 0) {
        // Dynamic group grid from the current weights (columns i..i+groupSize; no act order => perm = id).
        for (let r = 0; r < n; r++) {
          grids[r * groups + g] = findWeightGrid(wp, r * k + i, groupSize, 1, bits, symmetric, clip);
        }
      }
      const d = u[i * k + i];
      for (let r = 0; r < n; r++) {
        const grid = grids[r * groups + g]!;
        const value = wp[r * k + i];
        const code = quantizeCode(value, grid, bits);
        codes[r * k + column] = code;
        const q = dequantizeCode(code, grid);
        const e = (value - q) / d;
        loss += (e * e) / 2;
        errors[r * blockSize + (i - i1)] = e;
        if (e === 0) continue;
        const row = r * k;
        const urow = i * k;
        for (let j = i + 1; j < i2; j++) wp[row + j] -= e * u[urow + j];
      }
    }
    if (i2 < k) {
      for (let r = 0; r < n; r++) {
        const row = r * k;
        for (let b = 0; b < count; b++) {
          const e = errors[r * blockSize + b];
          if (e === 0) continue;
          const urow = (i1 + b) * k;
          for (let j = i2; j < k; j++) wp[row + j] -= e * u[urow + j];
        }
      }
    }
    options.onProgress?.({ phase: 'gptq-block', done: block + 1, total: totalBlocks });
  }

  const scales = new Float32Array(n * groups);
  const zeroPoints = new Uint8Array(n * groups);
  for (let i = 0; i < n * groups; i++) {
    const grid = grids[i];
    if (grid === undefined)
      throw new QuantError('QUANT_INVALID_OPTION', 'internal: a group grid was never set');
    scales[i] = grid.scale;
    zeroPoints[i] = grid.zeroPoint;
  }
  return {
    quantized: { rows: n, cols: k, bits, groupSize, symmetric, codes, scales, zeroPoints },
    loss,
    options: resolved,
  };
}
