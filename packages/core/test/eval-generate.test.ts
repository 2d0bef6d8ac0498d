import { describe, expect, test } from 'vitest';
import { createTinyDecoder } from '../src/eval/__fixtures__/tiny-decoder';
import { type BackendName, generate, isXError, loadBackend, referenceForward } from '../src/index';

const decoder = createTinyDecoder();
const prompt = [0, 84, 105, 33, 260, 300, 7];

/** Greedy decoding by full recomputation with the plain-TS reference forward (no cache, default positions). */
function referenceGreedy(steps: number): number[] {
  const ids = [...prompt];
  const out: number[] = [];
  for (let step = 0; step < steps; step++) {
    const { logits } = referenceForward(decoder.config, decoder.weights, [ids]);
    const vocab = decoder.config.vocabSize;
    const last = logits.data.subarray((ids.length - 1) * vocab, ids.length * vocab);
    let best = 0;
    for (let i = 1; i < vocab; i++) if (last[i] > last[best]) best = i;
    out.push(best);
    ids.push(best);
  }
  return out;
}

const expected = referenceGreedy(12);

describe.each<BackendName>(['node', 'web'])('generate on %s', (backendName) => {
  test('greedy tokens equal greedy decoding by full recomputation (reference forward)', async () => {
    const session = await (await loadBackend(backendName)).createSession(decoder.bytes);
    const seen: number[] = [];
    const result = await generate(session, {
      inputIds: prompt,
      maxNewTokens: 12,
      onToken: (token) => seen.push(token),
    });
    expect(new Set(expected).size).toBeGreaterThan(3); // the path is not one repeated token
    expect(result.tokens).toEqual(expected);
    expect(seen).toEqual(expected);
    expect(result.stopReason).toBe('max-new-tokens');
    expect(result.options).toMatchObject({ mode: 'greedy', maxNewTokens: 12, promptTokens: prompt.length });
    // The final cache holds prompt + all tokens but the last.
    expect(result.past['past_key_values.1.value'].dims).toEqual([1, 2, prompt.length + 11, 8]);
    await session.release();
  });

  test('stop ids end generation after the stop token; sampling is seeded; abort throws X_ABORTED', async () => {
    const session = await (await loadBackend(backendName)).createSession(decoder.bytes);
    const stopped = await generate(session, { inputIds: prompt, maxNewTokens: 12, stopIds: [expected[3]] });
    expect(stopped.tokens).toEqual(expected.slice(0, expected.indexOf(expected[3]) + 1));
    expect(stopped.stopReason).toBe('stop-id');
    const sample = (seed: number) =>
      generate(session, { inputIds: prompt, maxNewTokens: 10, temperature: 1.5, topK: 50, topP: 0.95, seed });
    const [a, b, c] = [await sample(1), await sample(1), await sample(2)];
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
    expect(a.options).toMatchObject({ mode: 'sample', temperature: 1.5, topK: 50, topP: 0.95, seed: 1 });
    const controller = new AbortController();
    const aborted = generate(session, {
      inputIds: prompt,
      maxNewTokens: 12,
      signal: controller.signal,
      onToken: (_token, index) => index === 2 && controller.abort(),
    });
    await expect(aborted).rejects.toMatchObject({ code: 'X_ABORTED' });
    await session.release();
  });
});

test('bad options and non-decoder models give typed errors', async () => {
  const session = await (await loadBackend('node')).createSession(decoder.bytes);
  for (const options of [
    { inputIds: [] },
    { inputIds: [1.5] },
    { inputIds: [1], maxNewTokens: 0 },
    { inputIds: [1], topP: 0 },
  ]) {
    const error = await generate(session, options).catch((caught: unknown) => caught);
    expect(isXError(error) && error.code).toBe('X_INVALID_ARGUMENT');
  }
  await session.release();
});
