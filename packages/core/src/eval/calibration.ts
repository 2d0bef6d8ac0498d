import { XError } from '../errors';
import { createRng } from '../rng';

export interface CalibrationOptions {
  /**
   * Sequences to draw (the pruning and quantization papers use 128).
   * @defaultValue 128
   */
  samples?: number;
  /**
   * Tokens per sequence (the papers use 2048).
   * @defaultValue 2048
   */
  seqlen?: number;
  /**
   * Seed of `createRng` (the papers use 0).
   * @defaultValue 0
   */
  seed?: number;
}

export interface ResolvedCalibrationOptions {
  samples: number;
  seqlen: number;
  seed: number;
  /** `stream`: one token stream (WikiText-2 style); `documents`: a list of documents (C4 style). */
  source: 'stream' | 'documents';
}

export interface CalibrationSet {
  /** `samples` sequences of exactly `seqlen` token ids. */
  sequences: number[][];
  /** Where each sequence came from: the document index (0 for a stream) and the start token. */
  origins: { document: number; start: number }[];
  options: ResolvedCalibrationOptions;
}

/**
 * Draws a reproducible calibration set as the pruning and quantization papers do (prune-quant brief §0).
 * - A token stream (`ArrayLike<number>`, e.g. the training-side text tokenized once): each sample is the window
 *   `[i, i + seqlen)` with `i` uniform in `0..n − seqlen − 1`, as GPTQ / QuaRot / SpinQuant / DartQuant draw from
 *   WikiText-2 train (`random.randint(0, n - seqlen - 1)`).
 * - `{ documents }` (each document tokenized on its own): each sample first picks a document uniformly among those
 *   longer than `seqlen` tokens (the distribution of the papers' C4 loop that redraws until one is long enough), then a
 *   window in it the same way (SparseGPT / Wanda / DSnoT `get_c4`).
 * The draws use `createRng(seed)`, so a seed gives the same set on every platform (not Python's `random`: the ids
 * differ from the papers' exact windows, the protocol does not).
 *
 * Errors: `X_INVALID_ARGUMENT` (options), `X_EVAL` when the text (or every document) has no more than `seqlen` tokens.
 */
export function sampleCalibrationSet(
  source: ArrayLike<number> | { documents: readonly ArrayLike<number>[] },
  options: CalibrationOptions = {},
): CalibrationSet {
  const samples = options.samples ?? 128;
  const seqlen = options.seqlen ?? 2048;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(samples) || samples < 1) throw invalid('samples', samples, 'an integer >= 1');
  if (!Number.isInteger(seqlen) || seqlen < 1) throw invalid('seqlen', seqlen, 'an integer >= 1');
  if (!Number.isFinite(seed)) throw invalid('seed', seed, 'a finite number');
  const isDocuments = 'documents' in source && Array.isArray(source.documents);
  const documents: readonly ArrayLike<number>[] = isDocuments
    ? (source as { documents: readonly ArrayLike<number>[] }).documents
    : [source as ArrayLike<number>];
  const eligible: number[] = [];
  for (let index = 0; index < documents.length; index++) {
    if (documents[index].length > seqlen) eligible.push(index);
  }
  if (eligible.length === 0) {
    const longest = documents.reduce((max, document) => Math.max(max, document.length), 0);
    throw new XError(
      'X_EVAL',
      isDocuments
        ? `sampleCalibrationSet: no document is longer than seqlen ${seqlen} tokens (longest: ${longest})`
        : `sampleCalibrationSet: the text has ${longest} tokens; seqlen ${seqlen} needs more than ${seqlen}`,
      { details: { option: 'seqlen', seqlen, tokens: longest } },
    );
  }
  const rng = createRng(seed);
  const sequences: number[][] = [];
  const origins: { document: number; start: number }[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const document = isDocuments ? eligible[rng.int(eligible.length)] : 0;
    const tokens = documents[document];
    const start = rng.int(tokens.length - seqlen);
    const sequence = new Array<number>(seqlen);
    for (let t = 0; t < seqlen; t++) sequence[t] = Number(tokens[start + t]);
    sequences.push(sequence);
    origins.push({ document, start });
  }
  return {
    sequences,
    origins,
    options: { samples, seqlen, seed, source: isDocuments ? 'documents' : 'stream' },
  };
}

function invalid(option: string, value: unknown, expected: string): XError {
  return new XError(
    'X_INVALID_ARGUMENT',
    `sampleCalibrationSet: options.${option} must be ${expected}, got ${String(value)}`,
    {
      details: { option, value },
    },
  );
}
