import { parseArgs } from 'node:util';
import { evaluatePerplexity } from '../eval/perplexity';
import { type CliIo, parseBackend, parseInteger, progressReporter, UsageError } from './cli-io';
import { openModelFolder } from './open-model-folder';
import { readTextFile } from './read-text-file';

export const PPL_USAGE =
  'x-eval ppl <model-dir> --text <file> [--seqlen 512] [--backend node|web] [--max-windows N] [--batch-size 1] [--threads N] [--json]';

/** `x-eval ppl`: tokenize the text once (no special tokens), then `evaluatePerplexity`. */
export async function runPplCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      text: { type: 'string' },
      seqlen: { type: 'string' },
      backend: { type: 'string' },
      'max-windows': { type: 'string' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1 || values.text === undefined) throw new UsageError(`usage: ${PPL_USAGE}`);
  const backend = parseBackend(values.backend);
  const threads = values.threads === undefined ? undefined : parseInteger(values.threads, 'threads', 1);
  const { session, tokenizer, modelPath } = await openModelFolder(positionals[0], backend, threads);
  try {
    const text = await readTextFile(values.text, 'text');
    const began = performance.now();
    const tokens = tokenizer.encode(text, { addSpecialTokens: false });
    const tokenizeSeconds = (performance.now() - began) / 1000;
    io.stderr.write(`tokenized ${values.text}: ${tokens.length} tokens in ${tokenizeSeconds.toFixed(1)} s\n`);
    const result = await evaluatePerplexity(session, tokens, {
      seqlen: parseInteger(values.seqlen, 'seqlen', 512, 2),
      maxWindows:
        values['max-windows'] === undefined
          ? undefined
          : parseInteger(values['max-windows'], 'max-windows', 1),
      batchSize: parseInteger(values['batch-size'], 'batch-size', 1),
      onProgress: progressReporter(io),
      signal: io.signal,
    });
    if (values.json) {
      const { windowNll, ...summary } = result;
      // The per-window NLLs last, on one line, so the summary stays readable.
      const head = JSON.stringify(
        { model: modelPath, text: values.text, backend, tokenizeSeconds, ...summary },
        null,
        2,
      );
      io.stdout.write(`${head.slice(0, -2)},\n  "windowNll": ${JSON.stringify(windowNll)}\n}\n`);
    } else {
      io.stdout.write(
        `perplexity ${result.perplexity.toFixed(4)} (mean NLL ${result.meanNll.toFixed(5)} nats) over ${result.windows}/${result.windowsAvailable} windows of ${result.options.seqlen} tokens, ${backend}, ${result.tokensPerSecond.toFixed(0)} tokens/s\n`,
      );
    }
    return 0;
  } finally {
    await session.release();
  }
}
