import { parseArgs } from 'node:util';
import { generate } from '../generate/generate';
import { type CliIo, parseBackend, parseInteger, parseNumber, UsageError } from './cli-io';
import { openModelFolder } from './open-model-folder';

export const GENERATE_USAGE =
  'x-eval generate <model-dir> --prompt <text> [--max-new-tokens 32] [--temperature 0] [--top-k 0] [--top-p 1] [--seed 0] [--ignore-eos] [--backend node|web] [--json]';

/** `x-eval generate`: encode the prompt (with BOS), `generate`, stream the text to stdout. */
export async function runGenerateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      prompt: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      'ignore-eos': { type: 'boolean' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1 || values.prompt === undefined)
    throw new UsageError(`usage: ${GENERATE_USAGE}`);
  const backend = parseBackend(values.backend);
  const threads = values.threads === undefined ? undefined : parseInteger(values.threads, 'threads', 1);
  const { session, tokenizer } = await openModelFolder(positionals[0], backend, threads);
  try {
    const inputIds = tokenizer.encode(values.prompt);
    const emitted: number[] = [];
    let printed = '';
    const result = await generate(session, {
      inputIds,
      maxNewTokens: parseInteger(values['max-new-tokens'], 'max-new-tokens', 32),
      temperature: parseNumber(values.temperature, 'temperature'),
      topK: values['top-k'] === undefined ? undefined : parseInteger(values['top-k'], 'top-k', 0, 0),
      topP: parseNumber(values['top-p'], 'top-p'),
      seed: parseNumber(values.seed, 'seed'),
      stopIds: values['ignore-eos'] || tokenizer.eosId === undefined ? [] : [tokenizer.eosId],
      signal: io.signal,
      onToken: (token) => {
        if (values.json) return;
        emitted.push(token);
        const text = tokenizer.decode(emitted, { skipSpecialTokens: true });
        // Hold back a trailing replacement character: the next token may complete a multi-byte character.
        const stable = text.endsWith('\uFFFD') ? text.slice(0, -1) : text;
        if (stable.length > printed.length && stable.startsWith(printed)) {
          io.stdout.write(stable.slice(printed.length));
          printed = stable;
        }
      },
    });
    const text = tokenizer.decode(result.tokens, { skipSpecialTokens: true });
    if (values.json) {
      const { past: _past, ...rest } = result;
      io.stdout.write(`${JSON.stringify({ prompt: values.prompt, inputIds, text, ...rest }, null, 2)}\n`);
    } else {
      if (text.startsWith(printed)) io.stdout.write(text.slice(printed.length));
      io.stdout.write('\n');
      io.stderr.write(
        `${result.tokens.length} tokens (${result.stopReason}); prefill ${result.prefillMs.toFixed(0)} ms for ${inputIds.length} tokens, decode ${result.decodeTokensPerSecond.toFixed(1)} tokens/s\n`,
      );
    }
    return 0;
  } finally {
    await session.release();
  }
}
