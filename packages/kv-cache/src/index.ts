// Public surface of @x/kv-cache: named exports only.
export { attendHeads } from './cache/attend-heads';
export { HeadStore } from './cache/head-store';
export { createKvMeter } from './cache/meter';
export type { UniformSlotSelector } from './cache/uniform-stock-cache';
export { createUniformStockCache, gatherSlots } from './cache/uniform-stock-cache';
export type { KvCacheErrorCode } from './errors';
export { isKvCacheError, KvCacheError } from './errors';
export { assembleCache, createFullLayer, createFullPolicy } from './policies/full';
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
export { createGenerator } from './runtime/create-generator';
export { resolveGeneratorGenerateOptions } from './runtime/resolve-generate-options';
export type { SamplingSettings } from './runtime/sampling';
export { applyRepetitionPenalty, argmax, selectToken } from './runtime/sampling';
export type { SplitPiece, SplitPlan } from './runtime/split-plan';
export { planSplit } from './runtime/split-plan';
export type { StockKvAdapter, StockStepFeeds } from './runtime/stock-adapter';
export { createStockKvAdapter } from './runtime/stock-adapter';
export type {
  CreateGeneratorOptions,
  GenerationStep,
  Generator,
  GeneratorGenerateOptions,
  GeneratorResult,
  ResolvedGeneratorGenerateOptions,
} from './runtime/types';
