import type { Session } from '../backend/types';
import { throwIfAborted, XError } from '../errors';
import { describeDecoderIo } from '../generate/decoder-io';
import { createTensor } from '../tensor/create-tensor';
import { float16ToFloat32 } from '../tensor/float16';
import type { Tensor } from '../tensor/tensor';
import { sumNextTokenNll } from './next-token-nll';
import type { PerplexityOptions, PerplexityResult, ResolvedPerplexityOptions } from './perplexity-types';

/**
 * Perplexity of a decoder on a token stream with the pruning/quantization papers' protocol (GPTQ / SparseGPT /
 * Wanda `eval_ppl_wikitext`; prune-quant brief §0): the text is tokenized once by the caller, cut into
 * nsamples = floor(tokens / seqlen) non-overlapping windows, each window is run alone (position ids 0..seqlen−1,
 * empty past), the logits at positions 0..seqlen−2 are scored against tokens 1..seqlen−1, and
 * ppl = exp(Σ NLL / (nsamples · (seqlen − 1))). (The papers multiply each window's mean by seqlen and divide by
 * nsamples · seqlen, which is the same number.) NLLs use a stable float64 log-softmax over the full vocabulary.
 *
 * Errors: `X_INVALID_ARGUMENT` (options, token ids), `X_EVAL` (fewer tokens than one window, not a decoder export,
 * a non-finite NLL), `X_SESSION`, `X_ABORTED`.
 */
export async function evaluatePerplexity(
  session: Session,
  tokens: ArrayLike<number>,
  options: PerplexityOptions = {},
): Promise<PerplexityResult> {
  const resolved = resolvePerplexityOptions(options);
  const { seqlen, batchSize } = resolved;
  const windowsAvailable = Math.floor(tokens.length / seqlen);
  if (windowsAvailable === 0) {
    throw new XError(
      'X_EVAL',
      `evaluatePerplexity: the text has ${tokens.length} tokens, fewer than one window of seqlen ${seqlen}`,
      { details: { option: 'seqlen', tokens: tokens.length, seqlen } },
    );
  }
  const windows = Math.min(windowsAvailable, resolved.maxWindows ?? windowsAvailable);
  const io = describeDecoderIo(session, 'evaluatePerplexity');
  checkTokenIds(tokens, windows * seqlen, declaredVocab(session));
  const windowNll: number[] = [];
  let total = 0;
  const began = performance.now();
  for (let first = 0; first < windows; first += batchSize) {
    throwIfAborted(options.signal, 'perplexity');
    const rows = Math.min(batchSize, windows - first);
    const ids = new BigInt64Array(rows * seqlen);
    for (let i = 0; i < ids.length; i++) ids[i] = BigInt(tokens[first * seqlen + i]);
    const positions = new BigInt64Array(rows * seqlen);
    for (let i = 0; i < positions.length; i++) positions[i] = BigInt(i % seqlen);
    const feeds: Record<string, Tensor> = {
      input_ids: createTensor('int64', [rows, seqlen], ids),
      attention_mask: createTensor('int64', [rows, seqlen], new BigInt64Array(rows * seqlen).fill(1n)),
    };
    if (io.positionIds) feeds.position_ids = createTensor('int64', [rows, seqlen], positions);
    if (io.logitsToKeep) feeds[io.logitsToKeep] = createTensor('int64', [], [0n]);
    if (io.useCacheBranch) feeds.use_cache_branch = createTensor('bool', [1], [0]);
    for (const entry of io.cache) {
      feeds[entry.input] = createTensor(
        entry.dtype,
        entry.emptyDims.map((dim, axis) => (axis === 0 ? rows : dim)),
      );
    }
    const { logits } = await session.run(feeds, ['logits']);
    const vocab = logits.dims[logits.dims.length - 1];
    if (logits.dims.length !== 3 || logits.dims[0] !== rows || logits.dims[1] !== seqlen) {
      throw new XError(
        'X_EVAL',
        `evaluatePerplexity: logits have dims [${logits.dims.join(', ')}], expected [${rows}, ${seqlen}, vocab]`,
        { details: { output: 'logits', dims: [...logits.dims] } },
      );
    }
    const values =
      logits.dtype === 'float16'
        ? float16ToFloat32(logits.data as Uint16Array)
        : (logits.data as Float32Array);
    for (let row = 0; row < rows; row++) {
      const offset = (first + row) * seqlen;
      const targets = new Int32Array(seqlen - 1);
      for (let t = 0; t < seqlen - 1; t++) {
        targets[t] = tokens[offset + t + 1];
        if (targets[t] >= vocab) {
          throw new XError(
            'X_INVALID_ARGUMENT',
            `evaluatePerplexity: tokens[${offset + t + 1}] = ${targets[t]} is outside the model's vocabulary of ${vocab}`,
            { details: { argument: 'tokens', index: offset + t + 1 } },
          );
        }
      }
      const nll = sumNextTokenNll(values, vocab, targets, row * seqlen);
      if (!Number.isFinite(nll)) {
        throw new XError(
          'X_EVAL',
          `evaluatePerplexity: window ${first + row} has a non-finite NLL (${nll})`,
          {
            details: { window: first + row },
          },
        );
      }
      windowNll.push(nll / (seqlen - 1));
      total += nll;
    }
    options.onProgress?.({ phase: 'perplexity', done: first + rows, total: windows });
  }
  const seconds = (performance.now() - began) / 1000;
  const predictions = windows * (seqlen - 1);
  const meanNll = total / predictions;
  return {
    perplexity: Math.exp(meanNll),
    meanNll,
    predictions,
    windows,
    windowsAvailable,
    tokens: tokens.length,
    windowNll,
    seconds,
    tokensPerSecond: (windows * seqlen) / seconds,
    options: resolved,
  };
}

/** The logits' vocabulary size when the model declares it as a fixed dim. */
function declaredVocab(session: Session): number | undefined {
  const shape = session.outputMetadata.find((entry) => entry.name === 'logits')?.shape;
  const last = shape?.[shape.length - 1];
  return typeof last === 'number' && last > 0 ? last : undefined;
}

function checkTokenIds(tokens: ArrayLike<number>, count: number, vocab: number | undefined): void {
  for (let index = 0; index < count; index++) {
    const id = tokens[index];
    if (!Number.isInteger(id) || id < 0 || (vocab !== undefined && id >= vocab)) {
      throw new XError(
        'X_INVALID_ARGUMENT',
        `evaluatePerplexity: tokens[${index}] = ${id} is not a token id${vocab === undefined ? '' : ` of the model's vocabulary (0..${vocab - 1})`}`,
        { details: { argument: 'tokens', index, id } },
      );
    }
  }
}

/** Checks `evaluatePerplexity` options and fills in defaults (documented on `PerplexityOptions`). */
export function resolvePerplexityOptions(options: PerplexityOptions): ResolvedPerplexityOptions {
  const seqlen = options.seqlen ?? 512;
  if (!Number.isInteger(seqlen) || seqlen < 2) throw invalid('seqlen', seqlen, 'an integer >= 2');
  const maxWindows = options.maxWindows;
  if (maxWindows !== undefined && (!Number.isInteger(maxWindows) || maxWindows < 1)) {
    throw invalid('maxWindows', maxWindows, 'an integer >= 1');
  }
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid('batchSize', batchSize, 'an integer >= 1');
  return { seqlen, maxWindows, batchSize };
}

function invalid(option: string, value: unknown, expected: string): XError {
  return new XError(
    'X_INVALID_ARGUMENT',
    `evaluatePerplexity: options.${option} must be ${expected}, got ${String(value)}`,
    {
      details: { option, value },
    },
  );
}
