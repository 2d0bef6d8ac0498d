import type { Backend, BackendName, SessionOptions } from '@x/core';
import type { GenerationMode, KvBytes, KvPolicy } from '../policy/types';

export interface CreateGeneratorOptions {
  /**
   * `'stock'`: the export as is (past_key_values in, present out). `'split'`: the decoder cut into per-layer
   * pieces, RoPE and attention run by @x/kernels-wasm over the policy's cache.
   * @defaultValue 'stock'
   */
  mode?: GenerationMode;
  /**
   * A loaded backend, or which one to load.
   * @defaultValue 'node'
   */
  backend?: Backend | BackendName;
  /**
   * The KV policy (`createKvPolicy(name, options)`), or a registered name with default options.
   * @defaultValue 'full'
   */
  policy?: KvPolicy | string;
  /** ORT session options for every session the generator opens. */
  sessionOptions?: SessionOptions;
  /**
   * The model's context (largest position + 1); policy budgets above it are rejected and generation stops
   * with a typed error before passing it. Read from `config.json` (`max_position_embeddings`) next to the model
   * when not given.
   */
  maxPositions?: number;
}

export interface GeneratorGenerateOptions {
  /**
   * Tokens to generate at most.
   * @defaultValue 32
   */
  maxNewTokens?: number;
  /** @defaultValue 0 (greedy) */
  temperature?: number;
  /** Sampling only; 0 keeps all. @defaultValue 0 */
  topK?: number;
  /** Sampling only; nucleus mass in (0, 1]. @defaultValue 1 */
  topP?: number;
  /** CTRL repetition penalty (> 0; 1 is off), applied in greedy mode too, as HF does. @defaultValue 1 */
  repetitionPenalty?: number;
  /** Seed of `createRng` for sampling. @defaultValue 0 */
  seed?: number;
  /** Stop after emitting one of these ids (it is included in `tokens`). @defaultValue [] */
  stopIds?: readonly number[];
  /** Streaming: called with each new token. */
  onToken?: (token: number, index: number) => void;
  /** Called after every forward with the step's timing and cache memory. */
  onStep?: (event: GenerationStep) => void;
  /** Checked before every forward; aborting throws `X_ABORTED`. */
  signal?: AbortSignal;
}

export interface ResolvedGeneratorGenerateOptions {
  maxNewTokens: number;
  mode: 'greedy' | 'sample';
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  seed: number;
  stopIds: number[];
  promptTokens: number;
}

/** One forward of the loop. */
export interface GenerationStep {
  phase: 'prefill' | 'decode';
  /** Tokens generated so far (after this step). */
  done: number;
  total: number;
  /** Tokens of history (prompt + generated) the model has processed. */
  position: number;
  /** Cache slots held now (the longest KV head). */
  slots: number;
  kvBytes: KvBytes;
  ms: number;
}

export interface GeneratorResult {
  tokens: number[];
  stopReason: 'stop-id' | 'max-new-tokens';
  options: ResolvedGeneratorGenerateOptions;
  mode: GenerationMode;
  backend: BackendName;
  policy: { name: string; options: Readonly<object> };
  /** Cache memory at the end: resident between steps, and the peak of the run. */
  kvBytes: KvBytes;
  /** Slots held at the end (longest KV head). */
  slots: number;
  prefillMs: number;
  decodeMs: number;
  /** (tokens − 1) / decode seconds; NaN under 2 tokens. */
  decodeTokensPerSecond: number;
}

/** A model opened for generation with one mode, backend and policy. */
export interface Generator {
  readonly mode: GenerationMode;
  readonly backend: BackendName;
  readonly policy: KvPolicy;
  readonly vocabSize: number | undefined;
  /** Generates from prompt token ids (batch 1) with a fresh cache. */
  generate(inputIds: ArrayLike<number>, options?: GeneratorGenerateOptions): Promise<GeneratorResult>;
  /**
   * One forward with a fresh cache over `inputIds`, returning the logits of every row `[n, vocab]` (row-major).
   * For equivalence checks between modes.
   */
  forwardAll(inputIds: ArrayLike<number>): Promise<Float32Array>;
  release(): Promise<void>;
}
