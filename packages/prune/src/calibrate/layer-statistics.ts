import { PruneError } from '../errors';
import { checkPositiveInteger } from '../internal/validate';
import type { Activations, AddBatchOptions } from './activations';
import { type ChannelMoments, createChannelMomentAccumulator } from './channel-moments';
import { createHessianAccumulator } from './hessian';
import { createInputNormAccumulator } from './input-norms';

/** The calibration statistics a method can ask for. */
export type StatisticKind = 'input-norms' | 'hessian' | 'moments';

/** Statistics of one linear's inputs; only the requested kinds are present. */
export interface LayerStatistics {
  readonly columns: number;
  /** Calibration sequences seen (n). */
  readonly samples: number;
  /** Wanda's `sqnorm_j = (1/n) Σ x_tj²` (brief §0). */
  readonly inputSquaredNorms?: Float64Array;
  /** SparseGPT's `H = (2/n) Σ XᵀX`, row-major `columns x columns` (brief §2). */
  readonly hessian?: Float64Array;
  /** DSnoT's token-sum, mean and pooled variance (brief §3.1). */
  readonly moments?: ChannelMoments;
}

export interface LayerStatisticsAccumulator {
  readonly columns: number;
  readonly kinds: readonly StatisticKind[];
  /** `options.gram`: the batch's `XᵀX`, computed elsewhere (ORT), used for the Hessian instead of computing it. */
  add(x: Activations, tokens: number, options?: AddBatchOptions & { gram?: Activations }): void;
  result(): LayerStatistics;
}

/** One streaming pass that feeds every requested accumulator; memory is that of the requested statistics only. */
export function createLayerStatisticsAccumulator(
  columns: number,
  kinds: readonly StatisticKind[],
): LayerStatisticsAccumulator {
  checkPositiveInteger(columns, 'columns');
  const norms = kinds.includes('input-norms') ? createInputNormAccumulator(columns) : undefined;
  const hessian = kinds.includes('hessian') ? createHessianAccumulator(columns) : undefined;
  const moments = kinds.includes('moments') ? createChannelMomentAccumulator(columns) : undefined;
  let samples = 0;
  return {
    columns,
    kinds: [...kinds],
    add(x, tokens, options = {}) {
      norms?.add(x, tokens, options);
      if (options.gram) hessian?.addGram(options.gram, tokens, options);
      else hessian?.add(x, tokens, options);
      moments?.add(x, tokens, options);
      samples += options.samples ?? 1;
    },
    result: () => ({
      columns,
      samples,
      inputSquaredNorms: norms?.result(),
      hessian: hessian?.result(),
      moments: moments?.result(),
    }),
  };
}

/** Throws PRUNE_NO_CALIBRATION naming `method` and the missing statistic unless all `kinds` are present. */
export function requireStatistics(
  statistics: LayerStatistics | undefined,
  kinds: readonly StatisticKind[],
  method: string,
): void {
  for (const kind of kinds) {
    const present =
      kind === 'input-norms'
        ? statistics?.inputSquaredNorms
        : kind === 'hessian'
          ? statistics?.hessian
          : statistics?.moments;
    if (present === undefined) {
      throw new PruneError('PRUNE_NO_CALIBRATION', `${method} needs the '${kind}' calibration statistic`, {
        details: { method, statistic: kind },
      });
    }
  }
}
