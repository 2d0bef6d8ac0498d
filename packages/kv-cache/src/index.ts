// Public surface of @x/kv-cache: named exports only.
export { attendHeads } from './cache/attend-heads';
export { HeadStore } from './cache/head-store';
export { createKvMeter } from './cache/meter';
export type { NeedsStockQueries } from './cache/query-aware-stock-cache';
export type { UniformSlotSelector } from './cache/uniform-stock-cache';
export { createUniformStockCache, gatherSlots } from './cache/uniform-stock-cache';
export type { KvCacheErrorCode } from './errors';
export { isKvCacheError, KvCacheError } from './errors';
export { assembleCache, createFullLayer, createFullPolicy } from './policies/full';
export type { KiviOptions } from './policies/kivi';
export { createKiviPolicy } from './policies/kivi';
export type { KiviLayerSettings } from './policies/kivi-layer';
export { createKiviLayer, kiviHeldBytes } from './policies/kivi-layer';
export type { KvTunerOptions } from './policies/kvtuner';
export { createKvTunerPolicy } from './policies/kvtuner';
export type { RazorOptions } from './policies/razor';
export { createRazorPolicy } from './policies/razor';
export { compensationBias, foldIntoMean } from './policies/razor-compensation';
export type { RazorHeadBudget } from './policies/razor-layer';
export { createRazorLayer } from './policies/razor-layer';
export type { SnapKvOptions } from './policies/snapkv';
export { createSnapKvPolicy } from './policies/snapkv';
export type { SnapKvScoreInput } from './policies/snapkv-scores';
export { poolScores, scoreSnapKvPrefix } from './policies/snapkv-scores';
export type { StreamingLlmOptions } from './policies/streaming-llm';
export { createStreamingLlmPolicy, selectStreamingSlots } from './policies/streaming-llm';
export type { KvPolicyEntry } from './policy/registry';
export { createKvPolicy, listKvPolicies, registerKvPolicy } from './policy/registry';
export type {
  GenerationMode,
  KvBytes,
  KvCache,
  KvCacheContext,
  KvCacheShape,
  KvLayerCache,
  KvMeter,
  KvPolicy,
  KvPolicyFactory,
  KvQueries,
  KvRows,
  StockKvCache,
  StockLayerKv,
} from './policy/types';
export type { CapturedLayer } from './profile/capture-policy';
export { createCapturePolicy } from './profile/capture-policy';
export type { ModelFingerprint } from './profile/fingerprint';
export { checkFingerprint, computeModelFingerprint } from './profile/fingerprint';
export type { KvBitPair } from './profile/kvtuner-pairs';
export { KVTUNER_PAIRS, pairBits, pairName } from './profile/kvtuner-pairs';
export type { KvTunerProfile, ResolvedProfileKvTunerOptions } from './profile/kvtuner-profile';
export { KVTUNER_PROFILE_FORMAT, loadKvTunerProfile, parseKvTunerProfile } from './profile/kvtuner-profile';
export type { KvTunerCandidate, KvTunerSearchResult } from './profile/kvtuner-search';
export { clusterLayers, paretoFront, pruneLayerPairs, searchKvTuner } from './profile/kvtuner-search';
export type { LayerSensitivityInput } from './profile/kvtuner-sensitivity';
export { measureLayerSensitivity } from './profile/kvtuner-sensitivity';
export { PROFILE_USAGE, runProfileCommand } from './profile/profile-command';
export { writeProfileJson } from './profile/profile-file';
export type { ProfileKvTunerOptions } from './profile/profile-kvtuner';
export { profileKvTuner } from './profile/profile-kvtuner';
export type { ProfileRazorOptions } from './profile/profile-razor';
export { buildRazorProbe, profileRazorHeads, resolveProfileRazorOptions } from './profile/profile-razor';
export type { RazorProfile, ResolvedProfileRazorOptions } from './profile/razor-profile';
export { loadRazorProfile, parseRazorProfile, RAZOR_PROFILE_FORMAT } from './profile/razor-profile';
export type { ProbeLayout, RetrievalScoreInput } from './profile/razor-scores';
export { scoreAttentionRow, scoreRetrievalHeads, selectRetrievalHeads } from './profile/razor-scores';
export { createGenerator } from './runtime/create-generator';
export { resolveGeneratorGenerateOptions } from './runtime/resolve-generate-options';
export type { SamplingSettings } from './runtime/sampling';
export { selectToken } from './runtime/sampling';
export type { SplitPiece, SplitPlan } from './runtime/split-plan';
export { planSplit } from './runtime/split-plan';
export type { StockKvAdapter, StockStepFeeds } from './runtime/stock-adapter';
export { createStockKvAdapter } from './runtime/stock-adapter';
export type { StockQuerySource } from './runtime/stock-queries';
export { withStockQueryOutputs } from './runtime/stock-queries';
export type {
  CreateGeneratorOptions,
  GenerationStep,
  Generator,
  GeneratorGenerateOptions,
  GeneratorResult,
  ResolvedGeneratorGenerateOptions,
} from './runtime/types';
