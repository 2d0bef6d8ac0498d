import type { LayerStatistics, StatisticKind } from '../calibrate/layer-statistics';
import type { PruneMask, SparsityPattern, WeightMatrix } from '../types';

/** What every pruning method returns for one linear. */
export interface PruneLayerResult {
  /** The pruned (and, for SparseGPT, updated) weights; a new array, the input is untouched. */
  readonly weight: WeightMatrix;
  /** 1 where the weight was pruned. */
  readonly mask: PruneMask;
}

/**
 * A registered pruning method (see `registry.ts`). `score` is the method's saliency (higher = more important),
 * which DSnoT's N:M path reuses as the "initial-method score" (brief §3.2).
 */
export interface PruneMethod<Options extends object = object> {
  readonly name: string;
  /** Calibration statistics the method reads; an empty list means data-free. */
  readonly requires: readonly StatisticKind[];
  score(weight: WeightMatrix, statistics: LayerStatistics | undefined, options?: Options): Float64Array;
  prune(
    weight: WeightMatrix,
    statistics: LayerStatistics | undefined,
    pattern: SparsityPattern,
    options?: Options,
  ): PruneLayerResult;
}
