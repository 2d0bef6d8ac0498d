import type { Tensor } from '../tensor/tensor';

export interface GenerateOptions {
  /** Prompt token ids (include BOS yourself when the model wants it: `tokenizer.encode(text)` does). */
  inputIds: ArrayLike<number>;
  /**
   * Tokens to generate at most.
   * @defaultValue 32
   */
  maxNewTokens?: number;
  /**
   * Sampling temperature. 0 means greedy (argmax, no randomness); > 0 samples from softmax(logits / temperature).
   * @defaultValue 0
   */
  temperature?: number;
  /**
   * Sampling only: keep the k most likely tokens. 0 keeps all.
   * @defaultValue 0
   */
  topK?: number;
  /**
   * Sampling only: nucleus mass in (0, 1]. 1 keeps all.
   * @defaultValue 1
   */
  topP?: number;
  /**
   * Sampling only: seed of `createRng`.
   * @defaultValue 0
   */
  seed?: number;
  /**
   * Generation stops after emitting one of these ids (the stop id is included in `tokens`).
   * @defaultValue [] (no stop ids; pass `[tokenizer.eosId]` to stop at EOS)
   */
  stopIds?: readonly number[];
  /** Called with each new token as it is chosen. */
  onToken?: (token: number, index: number) => void;
  /** Checked before every forward; aborting throws `X_ABORTED`. */
  signal?: AbortSignal;
}

/** The options as used, echoed in the result. */
export interface ResolvedGenerateOptions {
  maxNewTokens: number;
  mode: 'greedy' | 'sample';
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  stopIds: number[];
  promptTokens: number;
}

export interface GenerateResult {
  /** The new tokens only. */
  tokens: number[];
  stopReason: 'stop-id' | 'max-new-tokens';
  options: ResolvedGenerateOptions;
  /** Wall time of the prompt forward (prefill), ms. */
  prefillMs: number;
  /** Wall time of the one-token forwards, ms. */
  decodeMs: number;
  /** (tokens - 1) / decode seconds: the per-token speed of the incremental steps (NaN when < 2 tokens). */
  decodeTokensPerSecond: number;
  /** The final cache by `past_key_values.*` name (it holds every token but the last one). */
  past: Record<string, Tensor>;
}
