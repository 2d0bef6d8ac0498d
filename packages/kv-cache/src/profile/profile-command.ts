import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BackendName, isXError, loadTokenizer, sampleCalibrationSet } from '@x/core';
import { writeProfileJson } from './profile-file';
import { profileKvTuner } from './profile-kvtuner';
import { profileRazorHeads } from './profile-razor';

export const PROFILE_USAGE = `usage: x-kv profile <model-dir> [options]

Profiles a model offline for the razor and kvtuner policies and writes the JSON files they read
(razor-heads.json, kvtuner.json; pass them with --policy-option profile=<file>).

options:
  --razor / --kvtuner          only this profile (default: both)
  --out-dir <dir>              where to write (default: <model-dir>)
  --block-length <n>           Razor probe block (default 500; 4 repeats must fit the context)
  --repeats <n>                Razor probe repeats (default 4)
  --echo-ratio <r>             share of KV heads kept for echo (default 0.01)
  --induction-ratio <r>        share kept for induction (default 0.14)
  --calibration-file <text>    KVTuner calibration text (required with --kvtuner)
  --samples <n>                calibration prompts (default 8)
  --seqlen <n>                 tokens per prompt (default 512)
  --budget <bits>              KVTuner average-bit budget (default 3.25)
  --groups <n>                 KVTuner layer clusters (default 6)
  --residual-length <n>        KIVI residual length (default 128)
  --seed <n>                   probe and calibration seed (default 0)
  --backend node|web           (default node)
  --json                       print the written profiles' summaries as JSON`;

/** Thrown for bad command lines (exit code 2). */
export class ProfileUsageError extends Error {}

function number(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new ProfileUsageError(`--${name} must be a number, got '${String(raw)}'`);
  return value;
}

/**
 * `x-kv profile`: the CLI's dispatcher calls this with the arguments after `profile`. Returns the exit code: 0 ok,
 * 1 `XError`, 2 usage. Logic lives in `profileRazorHeads` / `profileKvTuner`; this parses, calls and writes.
 */
export async function runProfileCommand(
  args: string[],
  io: { stdout: (text: string) => void; stderr: (text: string) => void; signal?: AbortSignal },
): Promise<number> {
  try {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          razor: { type: 'boolean' },
          kvtuner: { type: 'boolean' },
          'out-dir': { type: 'string' },
          'block-length': { type: 'string' },
          repeats: { type: 'string' },
          'echo-ratio': { type: 'string' },
          'induction-ratio': { type: 'string' },
          'calibration-file': { type: 'string' },
          samples: { type: 'string' },
          seqlen: { type: 'string' },
          budget: { type: 'string' },
          groups: { type: 'string' },
          'residual-length': { type: 'string' },
          seed: { type: 'string' },
          backend: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (error) {
      throw new ProfileUsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout(`${PROFILE_USAGE}\n`);
      return 0;
    }
    const modelDir = positionals[0];
    if (modelDir === undefined || positionals.length > 1)
      throw new ProfileUsageError('expected one <model-dir>');
    const both = !values.razor && !values.kvtuner;
    const backend = (values.backend ?? 'node') as BackendName;
    if (backend !== 'node' && backend !== 'web') throw new ProfileUsageError(`--backend must be node or web`);
    const calibrationFile = values['calibration-file'] as string | undefined;
    if ((values.kvtuner || both) && calibrationFile === undefined) {
      throw new ProfileUsageError('--calibration-file is required to profile KVTuner (or pass --razor)');
    }
    const outDir = (values['out-dir'] as string | undefined) ?? modelDir;
    const seed = number(values, 'seed', 0);
    const tokenizer = await loadTokenizer(modelDir).catch(() => undefined);
    const progress = (event: { phase: string; done: number; total: number }) =>
      io.stderr(`${event.phase} ${event.done}/${event.total}\n`);
    const summary: Record<string, unknown> = {};
    if (values.razor || both) {
      const profile = await profileRazorHeads(modelDir, {
        blockLength: number(values, 'block-length', 500),
        repeats: number(values, 'repeats', 4),
        echoRatio: number(values, 'echo-ratio', 0.01),
        inductionRatio: number(values, 'induction-ratio', 0.14),
        bosId: tokenizer?.bosId ?? null,
        seed,
        backend,
        onProgress: progress,
        signal: io.signal,
      });
      const file = join(outDir, 'razor-heads.json');
      await writeProfileJson(file, profile);
      summary.razor = { file, heads: profile.heads, options: profile.options };
    }
    if (values.kvtuner || both) {
      if (!tokenizer)
        throw new ProfileUsageError(`no tokenizer.json in ${modelDir} to encode --calibration-file`);
      const text = await readFile(calibrationFile as string, 'utf8').catch((error: unknown) => {
        throw new ProfileUsageError(`cannot read --calibration-file: ${(error as Error).message}`);
      });
      const calibration = sampleCalibrationSet(tokenizer.encode(text, { addSpecialTokens: false }), {
        samples: number(values, 'samples', 8),
        seqlen: number(values, 'seqlen', 512),
        seed,
      });
      const profile = await profileKvTuner(modelDir, calibration.sequences, {
        budget: number(values, 'budget', 3.25),
        groups: number(values, 'groups', 6),
        residualLength: number(values, 'residual-length', 128),
        seed,
        backend,
        onProgress: progress,
        signal: io.signal,
      });
      const file = join(outDir, 'kvtuner.json');
      await writeProfileJson(file, profile);
      summary.kvtuner = {
        file,
        layers: profile.layers.map((pair) => `K${pair.keyBits}V${pair.valueBits}`),
        averageBits: profile.averageBits,
        clusters: profile.clusters,
      };
    }
    io.stdout(
      values.json
        ? `${JSON.stringify(summary)}\n`
        : `${Object.values(summary)
            .map((entry) => (entry as { file: string }).file)
            .join('\n')}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ProfileUsageError) {
      io.stderr(`x-kv profile: ${error.message}\n\n${PROFILE_USAGE}\n`);
      return 2;
    }
    if (isXError(error)) {
      io.stderr(`x-kv profile: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
