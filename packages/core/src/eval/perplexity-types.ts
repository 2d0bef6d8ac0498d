import type { ProgressCallback } from '../errors';

export interface PerplexityOptions {
  /**
   * Window length in tokens. The papers use 2048 (LLaMA; Wanda uses the model's full context); the reference
   * model's golden file has 512 and 2048.
   * @defaultValue 512
   */
  seqlen?: number;
  /**
   * Score only the first N windows (fast checks). The perplexity then covers those windows only.
   * @defaultValue all windows (floor(tokens / seqlen))
   */
  maxWindows?: number;
  /**
   * Windows per forward (batch size). The model must accept a batch dimension > 1 when this is above 1.
   * @defaultValue 1
   */
  batchSize?: number;
  /** Called after each forward with phase `perplexity`. */
  onProgress?: ProgressCallback;
  /** Checked before each forward; aborting throws `X_ABORTED`. */
  signal?: AbortSignal;
}

export interface ResolvedPerplexityOptions {
  seqlen: number;
  maxWindows: number | undefined;
  batchSize: number;
}

export interface PerplexityResult {
  /** exp(meanNll). */
  perplexity: number;
  /** Mean next-token NLL in nats over all scored positions. */
  meanNll: number;
  /** Predictions scored: windows × (seqlen − 1). */
  predictions: number;
  /** Windows scored. */
  windows: number;
  /** floor(tokens / seqlen): windows the whole text gives. */
  windowsAvailable: number;
  /** Length of the token stream. */
  tokens: number;
  /** Mean NLL of each scored window, in order. */
  windowNll: number[];
  /** Wall time of the forwards and scoring, seconds. */
  seconds: number;
  /** Tokens forwarded per second (windows × seqlen / seconds). */
  tokensPerSecond: number;
  options: ResolvedPerplexityOptions;
}
