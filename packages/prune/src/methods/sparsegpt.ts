import { type Kernels, packF32Gemm } from '@x/kernels-wasm';
import type { LayerStatistics } from '../calibrate/layer-statistics';
import { requireStatistics } from '../calibrate/layer-statistics';
import { invalidOption, PruneError } from '../errors';
import { argsortStable } from '../internal/argsort';
import { upperCholeskyOfInverse } from '../internal/cholesky';
import { markSmallest } from '../internal/select-smallest';
import {
  checkLength,
  checkNonNegative,
  checkPattern,
  checkPositiveInteger,
  checkWeightMatrix,
} from '../internal/validate';
import { upperCholeskyOfInverseBlocked } from '../linalg/blocked-cholesky';
import { GemmWorkspace } from '../linalg/gemm-workspace';
import { prunedPerRow } from '../mask/unstructured';
import type { PruneMask, SparsityPattern, WeightMatrix } from '../types';
import type { PruneLayerResult, PruneMethod } from './method';

export interface SparseGptOptions {
  /**
   * Lazy-update block width B: OBS updates are applied inside a block of B columns and propagated to the rest of
   * the matrix once per block; the unstructured mask is selected per block ("adaptive mask selection").
   * For N:M it must be a multiple of M.
   * @defaultValue 128
   */
  blocksize?: number;
  /** Dampening `percdamp · mean(diag H)` added to the diagonal of H before inversion. @defaultValue 0.01 */
  percdamp?: number;
  /**
   * A loaded @x/kernels-wasm instance (`await getKernels()`). With it the O(k³) Cholesky factorization / inverse
   * and the lazy batch updates `W[:, i2:] −= Err · U[i1:i2, i2:]` run as fp32 WASM GEMMs (float64 diagonal blocks
   * and storage; the official code runs them in fp32 on a GPU): about 50-100x faster on a 4864-wide layer. Without
   * it, plain float64 TypeScript loops (the reference path). The selected masks and weights agree to fp32
   * rounding (a weight whose score sits at the block threshold within that rounding may flip).
   * @defaultValue undefined (TypeScript loops)
   */
  kernels?: Kernels;
}

export interface ResolvedSparseGptOptions {
  blocksize: number;
  percdamp: number;
  /** Where the O(k³) and lazy-update work ran: `'kernels-wasm'` when `kernels` was given. */
  linearAlgebra: 'kernels-wasm' | 'typescript';
}

export function resolveSparseGptOptions(options: SparseGptOptions = {}): ResolvedSparseGptOptions {
  const resolved: ResolvedSparseGptOptions = {
    blocksize: options.blocksize ?? 128,
    percdamp: options.percdamp ?? 0.01,
    linearAlgebra: options.kernels === undefined ? 'typescript' : 'kernels-wasm',
  };
  checkPositiveInteger(resolved.blocksize, 'blocksize');
  checkNonNegative(resolved.percdamp, 'percdamp');
  if (options.kernels !== undefined && typeof options.kernels?.kernel !== 'function') {
    throw invalidOption(
      'kernels',
      'must be a loaded @x/kernels-wasm instance (await getKernels())',
      'object',
    );
  }
  return resolved;
}

export interface SparseGptResult extends PruneLayerResult {
  /**
   * Every weight's OBS-updated value at the moment its column was processed, before masking: the final value for
   * kept weights, the compensated value a pruned weight would have had. DSnoT's 'obs-updated' variant regrows these.
   */
  readonly preMaskWeight: Float32Array;
  /** SparseGPT's own loss estimate `Σ (w − q)² / d² / 2` per row (checklist §12.4: it tracks ‖(W−Ŵ)Xᵀ‖²·(1/n)). */
  readonly rowLoss: Float64Array;
  readonly options: ResolvedSparseGptOptions;
}

/** Dead columns (`H_jj = 0`) get `H_jj = 1`, then `percdamp · mean(diag H)` is added to the diagonal (brief §2). */
function prepareHessian(
  hessian: Float64Array,
  k: number,
  percdamp: number,
): { damped: Float64Array; dead: Uint8Array } {
  const damped = Float64Array.from(hessian);
  const dead = new Uint8Array(k);
  let diagonalSum = 0;
  for (let j = 0; j < k; j++) {
    if (damped[j * k + j] === 0) {
      dead[j] = 1;
      damped[j * k + j] = 1;
    }
    diagonalSum += damped[j * k + j];
  }
  const damp = (percdamp * diagonalSum) / k;
  for (let j = 0; j < k; j++) damped[j * k + j] += damp;
  return { damped, dead };
}

// Linears that read the same input (q/k/v, gate/up) share one Hessian array: factor it once per damping and engine.
// Callers must not mutate a Hessian after pruning with it.
const factorCache = new WeakMap<Float64Array, Map<string, { u: Float64Array; dead: Uint8Array }>>();

function factor(
  hessian: Float64Array,
  k: number,
  percdamp: number,
  kernels: Kernels | undefined,
): { u: Float64Array; dead: Uint8Array } {
  const key = `${percdamp}/${kernels === undefined ? 'typescript' : 'kernels-wasm'}`;
  const cached = factorCache.get(hessian)?.get(key);
  if (cached) return cached;
  const result = factorUncached(hessian, k, percdamp, kernels);
  const byKey = factorCache.get(hessian) ?? new Map();
  byKey.set(key, result);
  factorCache.set(hessian, byKey);
  return result;
}

function factorUncached(
  hessian: Float64Array,
  k: number,
  percdamp: number,
  kernels: Kernels | undefined,
): { u: Float64Array; dead: Uint8Array } {
  const { damped, dead } = prepareHessian(hessian, k, percdamp);
  const u =
    kernels === undefined
      ? upperCholeskyOfInverse(damped, k)
      : upperCholeskyOfInverseBlocked(damped, k, kernels);
  if (!u) {
    throw new PruneError(
      'PRUNE_CHOLESKY_FAILED',
      `sparsegpt: the damped Hessian (percdamp ${percdamp}) is not positive definite; raise percdamp`,
      { details: { option: 'percdamp', percdamp } },
    );
  }
  return { u, dead };
}

/**
 * SparseGPT saliency `W_ij² / diag(U)_j²` with U the upper Cholesky factor of the damped `H⁻¹`, over the dense W and
 * the full matrix U (what DSnoT uses as SparseGPT's "initial score", brief §3.4/§3.6 B2, with H accumulated).
 * Dead input channels score 0.
 */
export function scoreSparseGpt(
  weight: WeightMatrix,
  hessian: Float64Array,
  options: SparseGptOptions = {},
): Float64Array {
  checkWeightMatrix(weight);
  const { percdamp } = resolveSparseGptOptions(options);
  const k = weight.columns;
  checkLength(hessian, k * k, 'hessian');
  const { u, dead } = factor(hessian, k, percdamp, options.kernels);
  const scores = new Float64Array(weight.rows * k);
  for (let i = 0; i < weight.rows; i++) {
    for (let j = 0; j < k; j++) {
      const w = dead[j] ? 0 : weight.data[i * k + j];
      const d = u[j * k + j];
      scores[i * k + j] = (w * w) / (d * d);
    }
  }
  return scores;
}

/** `w[row + j] −= err · u[uRow + j]` for j in [from, to): one OBS update inside a block (kept small for the JIT). */
function subtractScaledRow(
  w: Float64Array,
  row: number,
  u: Float64Array,
  uRow: number,
  err: number,
  from: number,
  to: number,
): void {
  for (let j = from; j < to; j++) w[row + j] -= err * u[uRow + j];
}

/**
 * The lazy batch update `W[:, t1:t2] −= Err[:, s1:s2] · U[s1:s2, t1:t2]` (Alg. 1 of arXiv 2301.00774), with `errors`
 * the current block's row-major rows × count errors starting at column i1. Plain loops, or an fp32 WASM GEMM in row
 * chunks when a workspace is given.
 */
function propagate(
  w: Float64Array,
  u: Float64Array,
  errors: Float64Array,
  shape: { rows: number; k: number; i1: number; count: number },
  s1: number,
  s2: number,
  t1: number,
  t2: number,
  workspace: GemmWorkspace | undefined,
): void {
  const { rows, k, i1, count } = shape;
  const width = s2 - s1;
  const rest = t2 - t1;
  if (rest <= 0 || width <= 0) return;
  if (workspace === undefined) {
    for (let r = 0; r < rows; r++) {
      for (let c = s1; c < s2; c++) {
        const err = errors[r * count + c - i1];
        if (err !== 0) subtractScaledRow(w, r * k, u, c * k, err, t1, t2);
      }
    }
    return;
  }
  const slab = new Float32Array(width * rest);
  for (let c = 0; c < width; c++) {
    const from = (s1 + c) * k + t1;
    for (let j = 0; j < rest; j++) slab[c * rest + j] = u[from + j];
  }
  const right = packF32Gemm(workspace.kernels, slab, { k: width, n: rest });
  try {
    const chunk = Math.max(1, Math.floor(2 ** 20 / rest));
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const r1 = Math.min(r0 + chunk, rows);
      workspace.subtractProduct(
        { target: w, offset: r0 * k + t1, stride: k },
        r1 - r0,
        (left) => {
          for (let r = r0; r < r1; r++) {
            const from = r * count + s1 - i1;
            const to = (r - r0) * width;
            for (let c = 0; c < width; c++) left[to + c] = errors[from + c];
          }
        },
        right,
      );
    }
  } finally {
    right.dispose();
  }
}

/**
 * Columns per sequential step inside a block on the GEMM path: the in-block OBS updates are lazy-batched once more
 * (same math, as Alg. 1 does across blocks), in steps that hold whole N:M groups.
 */
function stepWidth(pattern: SparsityPattern | undefined, count: number, gemm: boolean): number {
  if (!gemm) return count;
  const m = pattern?.kind === 'nm' ? pattern.m : 1;
  return m * Math.max(1, Math.floor(16 / m));
}

/**
 * The OBS loop of SparseGPT (Frantar & Alistarh 2023, arXiv 2301.00774, Alg. 1; brief §2), row-major.
 * Rows are independent once a block's mask is chosen, so each block is processed row by row: inside the block
 * `W[r, i:] −= err · U[i, i:]` after each column; then the block's errors propagate to the trailing columns,
 * `W[:, i2:] −= Err · U[i1:i2, i2:]` (the lazy batch update, `propagateBlock`). With `fixedMask` no selection happens.
 */
function runObs(
  weight: WeightMatrix,
  hessian: Float64Array,
  pattern: SparsityPattern | undefined,
  fixedMask: PruneMask | undefined,
  options: ResolvedSparseGptOptions,
  kernels: Kernels | undefined,
): SparseGptResult {
  const { rows, columns: k } = weight;
  const { blocksize, percdamp } = options;
  const { u, dead } = factor(hessian, k, percdamp, kernels);
  const w = new Float64Array(weight.data);
  for (let j = 0; j < k; j++) if (dead[j]) for (let i = 0; i < rows; i++) w[i * k + j] = 0;
  const mask = fixedMask ? Uint8Array.from(fixedMask) : new Uint8Array(rows * k);
  const rowLoss = new Float64Array(rows);
  const preMask = new Float32Array(rows * k);
  const errors = new Float64Array(rows * Math.min(blocksize, k));
  const groupScores = new Float64Array(16);
  const workspace = kernels === undefined ? undefined : new GemmWorkspace(kernels);
  const selecting = !fixedMask && pattern?.kind === 'unstructured';
  const blockEntries = selecting ? rows * Math.min(blocksize, k) : 0;
  const scores = new Float64Array(blockEntries);
  const blockMask = new Uint8Array(blockEntries);
  const selectionScratch = new Float64Array(blockEntries);
  try {
    for (let i1 = 0; i1 < k; i1 += blocksize) {
      const i2 = Math.min(i1 + blocksize, k);
      const count = i2 - i1;
      if (selecting) {
        // One threshold per block over all rows, from the current (already updated) weights: exactly
        // floor(s·rows·count) entries, stable in row-major order. (Official: `<= sorted[floor(s·N·B)]`, +1 and ties.)
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < count; c++) {
            const value = w[r * k + i1 + c];
            const d = u[(i1 + c) * k + i1 + c];
            scores[r * count + c] = (value * value) / (d * d);
          }
        }
        blockMask.fill(0);
        markSmallest(
          scores,
          0,
          rows * count,
          prunedPerRow(rows * count, pattern.sparsity),
          blockMask,
          0,
          selectionScratch,
        );
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < count; c++) if (blockMask[r * count + c] === 1) mask[r * k + i1 + c] = 1;
        }
      }
      const step = stepWidth(pattern, count, workspace !== undefined);
      const shape = { rows, k, i1, count };
      for (let s1 = i1; s1 < i2; s1 += step) {
        const s2 = Math.min(s1 + step, i2);
        for (let r = 0; r < rows; r++) {
          const row = r * k;
          for (let col = s1; col < s2; col++) {
            const c = col - i1;
            if (!fixedMask && pattern?.kind === 'nm' && c % pattern.m === 0) {
              // N:M: in each group of M, prune the M−N smallest w²/d² of the already-updated weights.
              const { n, m } = pattern;
              for (let g = 0; g < m; g++) {
                const value = w[row + col + g];
                const d = u[(col + g) * k + col + g];
                groupScores[g] = (value * value) / (d * d);
              }
              const order = argsortStable(groupScores, 0, m);
              for (let g = 0; g < m - n; g++) mask[row + col + order[g]] = 1;
            }
            const value = w[row + col];
            const d = u[col * k + col];
            preMask[row + col] = value;
            const q = mask[row + col] === 1 ? 0 : value;
            const err = (value - q) / d;
            rowLoss[r] += ((value - q) * (value - q)) / (d * d) / 2;
            w[row + col] = q;
            errors[r * count + c] = err;
            if (err !== 0) subtractScaledRow(w, row, u, col * k, err, col + 1, s2);
          }
        }
        propagate(w, u, errors, shape, s1, s2, s2, i2, workspace);
      }
      propagate(w, u, errors, shape, i1, i2, i2, k, workspace);
    }
  } finally {
    workspace?.dispose();
  }
  for (let q = 0; q < mask.length; q++) if (mask[q] === 1) w[q] = 0;
  return {
    weight: { data: new Float32Array(w), rows, columns: k },
    mask,
    preMaskWeight: preMask,
    rowLoss,
    options,
  };
}

/** SparseGPT with adaptive mask selection: per B-column block for unstructured sparsity, every M columns for N:M. */
export function pruneSparseGpt(
  weight: WeightMatrix,
  hessian: Float64Array,
  pattern: SparsityPattern,
  options: SparseGptOptions = {},
): SparseGptResult {
  checkWeightMatrix(weight);
  checkLength(hessian, weight.columns * weight.columns, 'hessian');
  checkPattern(pattern, weight.columns);
  const resolved = resolveSparseGptOptions(options);
  if (pattern.kind === 'nm' && resolved.blocksize % pattern.m !== 0) {
    throw invalidOption('blocksize', `must be a multiple of M=${pattern.m} for N:M`, resolved.blocksize);
  }
  if (pattern.kind === 'nm' && pattern.m > 16)
    throw invalidOption('pattern', 'M above 16 is not supported', pattern);
  return runObs(weight, hessian, pattern, undefined, resolved, options.kernels);
}

/**
 * SparseGPT's OBS reconstruction for a given mask (no selection): zero the masked weights one column at a time and
 * compensate with the not-yet-processed columns. Useful to update weights after a mask refinement (e.g. DSnoT).
 */
export function reconstructWithObs(
  weight: WeightMatrix,
  hessian: Float64Array,
  mask: PruneMask,
  options: SparseGptOptions = {},
): SparseGptResult {
  checkWeightMatrix(weight);
  checkLength(hessian, weight.columns * weight.columns, 'hessian');
  checkLength(mask, weight.rows * weight.columns, 'mask');
  return runObs(weight, hessian, undefined, mask, resolveSparseGptOptions(options), options.kernels);
}

function hessianOf(statistics: LayerStatistics | undefined): Float64Array {
  requireStatistics(statistics, ['hessian'], 'sparsegpt');
  return statistics!.hessian!;
}

/** SparseGPT as a registered method (reads the `hessian` statistic). */
export const sparseGptMethod: PruneMethod<SparseGptOptions> = {
  name: 'sparsegpt',
  requires: ['hessian'],
  score: (weight, statistics, options) => scoreSparseGpt(weight, hessianOf(statistics), options),
  prune: (weight, statistics, pattern, options) =>
    pruneSparseGpt(weight, hessianOf(statistics), pattern, options),
};
