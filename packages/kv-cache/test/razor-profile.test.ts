import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDecoderModel, createDecoderWeights, type DecoderConfig, OnnxModel, writeModel } from '@x/core';
import { describe, expect, it } from 'vitest';
import { isKvCacheError } from '../src/errors';
import { createKvPolicy } from '../src/policy/registry';
import { computeModelFingerprint } from '../src/profile/fingerprint';
import { runProfileCommand } from '../src/profile/profile-command';
import { profileRazorHeads } from '../src/profile/profile-razor';
import { loadRazorProfile } from '../src/profile/razor-profile';
import { createGenerator } from '../src/runtime/create-generator';

const config: DecoderConfig = {
  vocabSize: 64,
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 16,
  intermediateSize: 40,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
  maxPositionEmbeddings: 128,
};
const model = (seed: number) =>
  new OnnxModel(
    buildDecoderModel(config, createDecoderWeights(config, { seed, scale: 2 }), { form: 'decomposed' }),
  );
const probeOptions = { blockLength: 12, repeats: 3, tokenLow: 20, bosId: 0, inductionRatio: 0.25 };

describe('RazorAttention profiling on a builder-made decoder', () => {
  it('scores every (layer, KV head), picks round(ratio · heads) by induction, and fingerprints the model', async () => {
    const onnx = model(1);
    const profile = await profileRazorHeads(onnx, probeOptions);
    expect(profile.scores.induction.map((row) => row.length)).toEqual([2, 2]);
    for (const value of profile.scores.echo.flat().concat(profile.scores.induction.flat())) {
      expect(value).toBeGreaterThan(0);
      // Mass over at most (repeats - 1) · blockLength rows of probability <= 1, divided by S².
      expect(value).toBeLessThanOrEqual((2 * 12) / 37 ** 2);
    }
    // 4 KV heads · 0.25 = 1 by induction (ties aside), echo 0.01 · 4 rounds to 0.
    const top = Math.max(...profile.scores.induction.flat());
    expect(profile.heads.flat().length).toBe(1);
    const [layer, head] = profile.scores.induction
      .flatMap((row, l) => row.map((v, h) => [l, h, v]))
      .find(([, , v]) => v === top) as number[];
    expect(profile.heads[layer]).toEqual([head]);
    expect(profile.fingerprint).toEqual(computeModelFingerprint(onnx));
    expect(profile.options).toMatchObject({ ...probeOptions, seed: 0, echoRatio: 0.01 });
  });

  it('a profile from another model with the same shape is refused by its weights hash; a runnable razor policy otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'x-kv-razor-'));
    const file = join(dir, 'razor-heads.json');
    await writeFile(file, JSON.stringify(await profileRazorHeads(model(1), probeOptions)));
    let code: string | undefined;
    try {
      await loadRazorProfile(file, { model: model(2) });
    } catch (error) {
      code = isKvCacheError(error) ? error.code : String(error);
    }
    expect(code).toBe('KV_PROFILE_MISMATCH');
    const profile = await loadRazorProfile(file, { model: model(1) });
    // A window larger than the run keeps everything: razor then equals the full cache.
    const prompt = Array.from({ length: 30 }, (_, i) => (i * 7) % 60);
    const full = await createGenerator(model(1), { mode: 'split' });
    const wide = await createGenerator(model(1), {
      mode: 'split',
      policy: createKvPolicy('razor', { profile: file, window: 100 }),
    });
    const narrow = await createGenerator(model(1), {
      mode: 'split',
      policy: createKvPolicy('razor', { profile, sinks: 2, window: 6 }),
    });
    const expected = await full.generate(prompt, { maxNewTokens: 5 });
    expect((await wide.generate(prompt, { maxNewTokens: 5 })).tokens).toEqual(expected.tokens);
    const squeezed = await narrow.generate(prompt, { maxNewTokens: 5 });
    expect(squeezed.tokens).toHaveLength(5);
    // Retrieval head keeps 34 slots (30 + 4 decoded); the other 3 heads keep 2 sinks + 1 compensation + 6 recent.
    const perSlot = 2 * config.headDim * 4;
    expect(squeezed.kvBytes.resident).toBe((34 + 3 * 9) * perSlot);
    for (const generator of [full, wide, narrow]) await generator.release();
  });

  it('createGenerator checks a profile against the model it runs: weights hash in split mode, the reason in stock mode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'x-kv-razor-gen-'));
    const file = join(dir, 'razor-heads.json');
    await writeFile(file, JSON.stringify(await profileRazorHeads(model(1), probeOptions)));
    const codeOf = async (run: () => Promise<unknown>) => {
      try {
        await run();
        return 'no error';
      } catch (error) {
        return isKvCacheError(error) ? `${error.code} ${error.message}` : String(error);
      }
    };
    // Same shape, other weights: only the weights hash tells them apart.
    const other = await codeOf(() =>
      createGenerator(model(2), { mode: 'split', policy: createKvPolicy('razor', { profile: file }) }),
    );
    expect(other).toMatch(/^KV_PROFILE_MISMATCH .*weightsHash/);
    const own = await createGenerator(model(1), {
      mode: 'split',
      policy: createKvPolicy('razor', { profile: file }),
    });
    await own.release();
    const stock = await codeOf(() =>
      createGenerator(model(1), { mode: 'stock', policy: createKvPolicy('razor', { profile: file }) }),
    );
    expect(stock).toMatch(
      /^KV_POLICY_UNAVAILABLE .*per-head budgets|^KV_POLICY_UNAVAILABLE .*its own budget/,
    );
  });

  it('x-kv profile --razor writes razor-heads.json next to the model; usage errors exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'x-kv-profile-'));
    await writeModel(model(1), join(dir, 'model.onnx'));
    let stdout = '';
    let stderr = '';
    const io = { stdout: (text: string) => (stdout += text), stderr: (text: string) => (stderr += text) };
    const code = await runProfileCommand(
      [dir, '--razor', '--block-length', '12', '--repeats', '3', '--json'],
      io,
    );
    expect(stderr).toContain('razor-probe 2/2');
    expect(code).toBe(0);
    const written = JSON.parse(await readFile(join(dir, 'razor-heads.json'), 'utf8'));
    expect(JSON.parse(stdout).razor.heads).toEqual(written.heads);
    expect(await runProfileCommand([dir], io)).toBe(2);
    expect(await runProfileCommand([dir, '--razor', '--block-length', 'x'], io)).toBe(2);
    expect(await runProfileCommand([join(dir, 'missing'), '--razor'], io)).toBe(1);
    // A probe longer than the model's context (config.json) is refused before any run.
    await writeFile(join(dir, 'config.json'), JSON.stringify({ max_position_embeddings: 30 }));
    expect(await runProfileCommand([dir, '--razor', '--block-length', '12', '--repeats', '3'], io)).toBe(1);
    expect(stderr).toContain('KV_INVALID_OPTION');
  });
});
