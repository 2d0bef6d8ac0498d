import type { KvBytes, KvCacheShape } from '../policy/types';

/** One generation's forward state (a fresh cache). */
export interface EngineRun {
  /** Runs `tokens` at absolute positions `start..`; returns the last row's logits, or every row with `allRows`. */
  forward(tokens: ArrayLike<number>, start: number, allRows: boolean): Promise<Float32Array>;
  /** Slots held (the longest KV head). */
  slots(): number;
  bytes(): KvBytes;
  dispose(): void;
}

/** A mode's way of running the model. */
export interface Engine {
  readonly shape: KvCacheShape;
  readonly vocabSize: number | undefined;
  begin(): EngineRun;
  release(): Promise<void>;
}
