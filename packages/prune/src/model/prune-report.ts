import type { BackendName } from '@x/core';
import type { LinearProjection } from '../types';
import type { ResolvedPruneModelOptions } from './prune-model-options';

/** One pruned linear in the report. */
export interface PrunedLinearReport {
  layer: number;
  projection: LinearProjection;
  node: string;
  initializer: string;
  rows: number;
  columns: number;
  /** Fraction of zero weights written (exactly the target per row for Wanda/magnitude-row/DSnoT). */
  sparsity: number;
  /** Whether DSnoT refined this linear (false where `skipLayer` leaves it on its initial mask). */
  dsnot: boolean;
  /** DSnoT's expected error `Σ_i |ε_i|` before/after and its swaps. */
  dsnotError?: { expectedErrorBefore: number; expectedErrorAfter: number; swaps: number };
  /** `(2/n)‖(W − Ŵ)Xᵀ‖²` of the method's result (`initial`) and of what was written (`final`); with measureError. */
  reconstructionError?: {
    initial: number;
    final: number;
    /** DSnoT linears: the parts of initial/final carried by the inputs' mean (what DSnoT's ε steers). */
    initialMean?: number;
    finalMean?: number;
  };
  seconds: number;
}

export interface PruneReport {
  /** Package that wrote the report. */
  tool: '@x/prune';
  options: ResolvedPruneModelOptions;
  /** Where the calibration sequences came from, when read from a file (`pruneModelFolder`, the CLI). */
  calibrationSource?: { file: string; samples: number; seqlen: number; seed: number };
  backend: BackendName | undefined;
  /** OWL allocation: each block's outlier ratio D_l (%); the sparsities are in `options.layerSparsity`. */
  outlierRatios?: number[];
  /** LoSA allocation: each block's importance `exp(−β·s_l)`; the sparsities are in `options.layerSparsity`. */
  layerImportance?: number[];
  /** Decoder layers in the model, and those left untouched. */
  numLayers: number;
  skippedLayers: number[];
  linears: PrunedLinearReport[];
  /** Zeros over all pruned linears' weights. */
  sparsity: number;
  prunedParameters: number;
  totalParameters: number;
  timings: {
    /** OWL's dense pass, when `allocation: 'owl'`. */
    allocationSeconds: number;
    captureSeconds: number;
    calibrateSeconds: number;
    pruneSeconds: number;
    propagateSeconds: number;
    totalSeconds: number;
  };
}
