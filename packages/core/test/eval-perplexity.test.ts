import { describe, expect, test } from 'vitest';
import { createTinyDecoder } from '../src/eval/__fixtures__/tiny-decoder';
import { type BackendName, evaluatePerplexity, isXError, loadBackend, referenceForward } from '../src/index';
import { createRng } from '../src/rng';

const decoder = createTinyDecoder(11, 1);
const seqlen = 48;
const rng = createRng(21);
const tokens = Array.from({ length: 3 * seqlen + 17 }, () => rng.int(decoder.config.vocabSize));

/**
 * The protocol written out independently: windows [w·L, (w+1)·L), each forwarded alone by the plain-TS reference,
 * log-softmax by log(Σ exp(x − max)) per row, mean over all (L − 1) predictions of all windows, exp.
 */
function referencePerplexity(windows: number): { ppl: number; windowNll: number[] } {
  const vocab = decoder.config.vocabSize;
  const windowNll: number[] = [];
  let total = 0;
  for (let w = 0; w < windows; w++) {
    const ids = tokens.slice(w * seqlen, (w + 1) * seqlen);
    const { logits } = referenceForward(decoder.config, decoder.weights, [ids]);
    let sum = 0;
    for (let t = 0; t < seqlen - 1; t++) {
      const row = Array.from(logits.data.subarray(t * vocab, (t + 1) * vocab));
      const peak = Math.max(...row);
      const logZ = peak + Math.log(row.reduce((acc, value) => acc + Math.exp(value - peak), 0));
      sum += logZ - row[ids[t + 1]];
    }
    windowNll.push(sum / (seqlen - 1));
    total += sum;
  }
  return { ppl: Math.exp(total / (windows * (seqlen - 1))), windowNll };
}

const reference = referencePerplexity(3);

describe.each<BackendName>(['node', 'web'])('evaluatePerplexity on %s', (backendName) => {
  test('equals the independently computed perplexity (3 windows, remainder dropped), batch 1 and 2', async () => {
    const session = await (await loadBackend(backendName)).createSession(decoder.bytes);
    const events: number[] = [];
    const result = await evaluatePerplexity(session, tokens, {
      seqlen,
      onProgress: (event) => events.push(event.done),
    });
    expect(result.windows).toBe(3);
    expect(result.windowsAvailable).toBe(3);
    expect(result.predictions).toBe(3 * (seqlen - 1));
    expect(result.perplexity).toBeGreaterThan(1);
    expect(Math.abs(result.perplexity / reference.ppl - 1)).toBeLessThan(1e-5);
    for (let w = 0; w < 3; w++) expect(result.windowNll[w]).toBeCloseTo(reference.windowNll[w], 5);
    expect(events).toEqual([1, 2, 3]);
    expect(result.tokensPerSecond).toBeGreaterThan(0);
    const batched = await evaluatePerplexity(session, tokens, { seqlen, batchSize: 2 });
    expect(batched.meanNll).toBeCloseTo(result.meanNll, 6);
    expect(batched.options).toEqual({ seqlen, maxWindows: undefined, batchSize: 2 });
    await session.release();
  });
});

test('maxWindows limits the windows; typed errors for short text, bad tokens, bad options, abort', async () => {
  const session = await (await loadBackend('node')).createSession(decoder.bytes);
  const first = await evaluatePerplexity(session, tokens, { seqlen, maxWindows: 1 });
  expect(first.windows).toBe(1);
  expect(first.meanNll).toBeCloseTo(reference.windowNll[0], 5);
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: unknown) => isXError(error) && error.code,
    );
  expect(await codeOf(evaluatePerplexity(session, tokens.slice(0, 10), { seqlen }))).toBe('X_EVAL');
  expect(await codeOf(evaluatePerplexity(session, [...tokens.slice(0, seqlen - 1), 9999], { seqlen }))).toBe(
    'X_INVALID_ARGUMENT',
  );
  expect(await codeOf(evaluatePerplexity(session, tokens, { seqlen: 1 }))).toBe('X_INVALID_ARGUMENT');
  const controller = new AbortController();
  controller.abort();
  expect(await codeOf(evaluatePerplexity(session, tokens, { seqlen, signal: controller.signal }))).toBe(
    'X_ABORTED',
  );
  await session.release();
});
