import { createProgressBar, isXError } from '@x/core';
import { pruneModelFolder } from '../model/prune-model-folder';
import { parseCliArgs, USAGE, UsageError } from './parse-cli-args';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  signal?: AbortSignal;
}

/** The CLI: parse, call `pruneModelFolder`, print. Returns the exit code (0 ok, 1 XError, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`x-prune: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (command.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const result = await pruneModelFolder(command.modelDir, command.outDir, {
      ...command.options,
      onProgress: createProgressBar(io.stderr),
      signal: io.signal,
    });
    if (command.json) io.stdout.write(`${JSON.stringify(result.report, null, 2)}\n`);
    else {
      const { report } = result;
      const worst = report.linears.reduce((max, linear) => Math.max(max, linear.sparsity), 0);
      io.stdout.write(
        `pruned ${report.linears.length} linears of ${report.numLayers - report.skippedLayers.length}/${report.numLayers} layers ` +
          `with ${report.options.method}${report.options.dsnot ? ' + DSnoT' : ''}: sparsity ${report.sparsity.toFixed(4)} ` +
          `(max per linear ${worst.toFixed(4)}) in ${report.timings.totalSeconds.toFixed(1)} s\n` +
          `wrote ${result.modelPath}\nreport ${result.reportPath}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (isXError(error)) {
      io.stderr.write(`x-prune: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
