/** Options of `TextTokenizer.encode`. */
export interface EncodeOptions {
  /**
   * Apply the tokenizer's post-processor (e.g. prepend BOS through `TemplateProcessing`, as Llama does).
   * @defaultValue true (as HF `tokenizers`)
   */
  addSpecialTokens?: boolean;
}

/** Options of `TextTokenizer.decode`. */
export interface DecodeOptions {
  /**
   * Drop special tokens (BOS/EOS and other added special tokens) from the text.
   * @defaultValue false
   */
  skipSpecialTokens?: boolean;
}

/** A text tokenizer read from a model folder's `tokenizer.json` + `tokenizer_config.json`. */
export interface TextTokenizer {
  /** Token ids of `text`. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Text of `ids`. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  /** Beginning-of-sequence id (`tokenizer_config.json` `bos_token`), when the tokenizer has one. */
  readonly bosId: number | undefined;
  /** End-of-sequence id (`tokenizer_config.json` `eos_token`), when the tokenizer has one. */
  readonly eosId: number | undefined;
  /** One past the largest token id (model vocabulary plus added tokens). */
  readonly vocabSize: number;
  /** The file it was read from, for messages. */
  readonly source: string;
}
