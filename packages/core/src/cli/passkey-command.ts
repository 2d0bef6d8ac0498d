import { parseArgs } from 'node:util';
import { XError } from '../errors';
import { evaluatePasskey } from '../eval/passkey';
import { PASSKEY_FORMAT, parsePasskeyFormat } from '../eval/passkey-format';
import type { PasskeyTrial } from '../eval/passkey-prompt';
import { type CliIo, parseBackend, parseInteger, parseList, progressReporter, UsageError } from './cli-io';
import { openModelFolder } from './open-model-folder';
import { readTextFile } from './read-text-file';

export const PASSKEY_USAGE =
  'x-eval passkey <model-dir> --filler <heldout.txt> [--format passkey.json] [--replay] [--lengths 1024,2048] [--depths 0.1,0.3,0.5,0.7,0.9] [--trials-per-cell 10] [--seed 0] [--backend node|web] [--json]';

/**
 * `x-eval passkey`: passkey accuracy by length and depth. `--format` reads the prompt format from a passkey.json;
 * `--replay` also runs the trials listed in that file (the exact prompts of the PyTorch evaluation).
 */
export async function runPasskeyCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      filler: { type: 'string' },
      format: { type: 'string' },
      replay: { type: 'boolean' },
      lengths: { type: 'string' },
      depths: { type: 'string' },
      'trials-per-cell': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1 || values.filler === undefined)
    throw new UsageError(`usage: ${PASSKEY_USAGE}`);
  if (values.replay && values.format === undefined)
    throw new UsageError('--replay needs --format <passkey.json>');
  const backend = parseBackend(values.backend);
  let format = PASSKEY_FORMAT;
  let trials: PasskeyTrial[] | undefined;
  if (values.format !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(await readTextFile(values.format, 'format'));
    } catch (error) {
      if (error instanceof SyntaxError) {
        throw new XError('X_EVAL', `${values.format} is not valid JSON`, {
          cause: error,
          details: { file: values.format },
        });
      }
      throw error;
    }
    format = parsePasskeyFormat(json, values.format);
    if (values.replay) trials = readTrials(json, values.format);
  }
  const threads = values.threads === undefined ? undefined : parseInteger(values.threads, 'threads', 1);
  const { session, tokenizer, modelPath } = await openModelFolder(positionals[0], backend, threads);
  try {
    const filler = tokenizer.encode(await readTextFile(values.filler, 'filler'), { addSpecialTokens: false });
    const result = await evaluatePasskey(session, tokenizer, filler, {
      format,
      trials,
      lengths: parseList(values.lengths, 'lengths'),
      depths: parseList(values.depths, 'depths'),
      trialsPerCell: parseInteger(values['trials-per-cell'], 'trials-per-cell', 10),
      seed: parseInteger(values.seed, 'seed', 0, 0),
      onProgress: progressReporter(io),
      signal: io.signal,
    });
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ model: modelPath, backend, ...result }, null, 2)}\n`);
    } else {
      const depths = [...new Set(result.results.map((entry) => String(entry.depth)))];
      io.stdout.write(`| length | ${depths.map((depth) => `depth ${depth}`).join(' | ')} |\n`);
      io.stdout.write(`|---|${depths.map(() => '---').join('|')}|\n`);
      for (const [length, row] of Object.entries(result.table)) {
        io.stdout.write(
          `| ${length} | ${depths.map((depth) => (row[depth] ?? Number.NaN).toFixed(2)).join(' | ')} |\n`,
        );
      }
      io.stdout.write(
        `accuracy ${result.accuracy.toFixed(3)} over ${result.results.length} trials, ${backend}, ${result.seconds.toFixed(0)} s\n`,
      );
    }
    return 0;
  } finally {
    await session.release();
  }
}

function readTrials(json: unknown, source: string): PasskeyTrial[] {
  const trials = (json as { trials?: unknown }).trials;
  const valid =
    Array.isArray(trials) &&
    trials.every(
      (trial) =>
        typeof trial === 'object' &&
        trial !== null &&
        Number.isInteger(trial.length) &&
        typeof trial.depth === 'number' &&
        typeof trial.key === 'string' &&
        Number.isInteger(trial.fillerOffset),
    );
  if (!valid) {
    throw new XError('X_EVAL', `${source}: "trials" must be an array of {length, depth, key, fillerOffset}`, {
      details: { file: source, field: 'trials' },
    });
  }
  return (trials as PasskeyTrial[]).map(({ length, depth, key, fillerOffset }) => ({
    length,
    depth,
    key,
    fillerOffset,
  }));
}
