// @x/prune public surface: named exports only.

export type { AmberActivationOptions } from './activation/amber-activation-mask';
export { applyAmberActivationSparsity, scoreAmberActivations } from './activation/amber-activation-mask';
export type { AmberChannelScaleOptions } from './activation/amber-channel-scale';
export { computeAmberChannelScale } from './activation/amber-channel-scale';
export type { AmberLayerPolicyOptions } from './activation/amber-layer-policy';
export { AMBER_SKIP_LAYERS, amberSensitivity, amberSparsifies } from './activation/amber-layer-policy';
export { centeredGram, centerGram, ckaOfCenteredGrams, linearCka } from './allocation/cka';
export type { LosaAllocationOptions } from './allocation/losa';
export {
  allocateLosa,
  computeLosaImportance,
  computeLosaImportanceFromGrams,
  losaDelta,
} from './allocation/losa';
export type { OwlOptions } from './allocation/owl';
export { allocateOwl, computeOutlierRatio } from './allocation/owl';
export { allocateUniform } from './allocation/uniform';
export type { Activations, AddBatchOptions } from './calibrate/activations';
export type { ChannelMomentAccumulator, ChannelMoments } from './calibrate/channel-moments';
export { createChannelMomentAccumulator } from './calibrate/channel-moments';
export type { HessianAccumulator } from './calibrate/hessian';
export { createHessianAccumulator } from './calibrate/hessian';
export type { InputNormAccumulator } from './calibrate/input-norms';
export { createInputNormAccumulator } from './calibrate/input-norms';
export type {
  LayerStatistics,
  LayerStatisticsAccumulator,
  StatisticKind,
} from './calibrate/layer-statistics';
export { createLayerStatisticsAccumulator, requireStatistics } from './calibrate/layer-statistics';
export type { PruneErrorCode } from './errors';
export { isPruneError, PruneError } from './errors';
export { applyMask, maskSparsity, rowSparsity } from './mask/apply';
export { isNmMask, selectNmMask } from './mask/n-m';
export { formatSparsityPattern, parseSparsityPattern, patternSparsity } from './mask/pattern';
export { prunedPerRow, selectMatrixMask, selectRowMask } from './mask/unstructured';
export type {
  DsnotCycleScaling,
  DsnotInput,
  DsnotNmPruneCandidate,
  DsnotOptions,
  DsnotResult,
  DsnotSkip,
  ResolvedDsnotOptions,
} from './methods/dsnot';
export {
  DSNOT_REFERENCE_ROW_WIDTH,
  dsnotCyclesForWidth,
  dsnotSkips,
  refineMaskDsnot,
  resolveDsnotOptions,
} from './methods/dsnot';
export type { MagnitudeOptions } from './methods/magnitude';
export { magnitudeMethod, resolveMagnitudeOptions, scoreMagnitude } from './methods/magnitude';
export type { PruneLayerResult, PruneMethod } from './methods/method';
export type {
  DsnotSparseGptBase,
  PruneLinearOptions,
  PruneLinearResult,
  ResolvedPruneLinearOptions,
} from './methods/prune-linear';
export { pruneLinear, requiredStatistics, resolvePruneLinearOptions } from './methods/prune-linear';
export { getPruneMethod, listPruneMethods, registerPruneMethod } from './methods/registry';
export type { ResolvedSparseGptOptions, SparseGptOptions, SparseGptResult } from './methods/sparsegpt';
export {
  pruneSparseGpt,
  reconstructWithObs,
  resolveSparseGptOptions,
  scoreSparseGpt,
  sparseGptMethod,
} from './methods/sparsegpt';
export { scoreWanda, wandaMethod } from './methods/wanda';
export { meanReconstructionError } from './metrics/mean-reconstruction-error';
export { reconstructionErrorFromHessian } from './metrics/reconstruction-error';
export type { LinearWeight } from './model/linear-weight';
export { readLinearWeight } from './model/linear-weight';
export type { LosaModelAllocationOptions, LosaModelAllocationResult } from './model/losa-allocation';
export { computeLosaAllocation } from './model/losa-allocation';
export type { OwlAllocationOptions, OwlAllocationResult } from './model/owl-allocation';
export { computeOwlAllocation } from './model/owl-allocation';
export type { PruneModelResult } from './model/prune-model';
export { pruneModel } from './model/prune-model';
export type { PruneModelFolderOptions, PruneModelFolderResult } from './model/prune-model-folder';
export { pruneModelFolder } from './model/prune-model-folder';
export type {
  PruneModelDsnotOptions,
  PruneModelOptions,
  ResolvedPruneModelOptions,
} from './model/prune-model-options';
export { ALL_PROJECTIONS, resolvePruneModelOptions } from './model/prune-model-options';
export type { PrunedLinearReport, PruneReport } from './model/prune-report';
export type { WritePrunedModelOptions, WritePrunedModelResult } from './model/write-pruned-model';
export { checkOutputFolder, REPORT_FILE, writePrunedModel } from './model/write-pruned-model';
export type { LinearProjection, PruneMask, SparsityPattern, WeightMatrix } from './types';
