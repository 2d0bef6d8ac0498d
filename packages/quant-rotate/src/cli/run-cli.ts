/** The body of `x-quant`: parse, call `quantizeModelFolder`, print. Streams are injected for tests. */
import { createProgressBar, isXError } from '@x/core';
import { quantizeModelFolder } from '../model/quantize-model-folder';
import { parseCliArgs, usage } from './parse-cli-args';

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  signal?: AbortSignal;
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 XError, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCliArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  if (parsed.kind === 'usage-error') {
    io.stderr.write(`x-quant: ${parsed.message}\n\n${usage}\n`);
    return 2;
  }
  try {
    const result = await quantizeModelFolder(parsed.modelDir, parsed.outDir, {
      ...parsed.options,
      onProgress: createProgressBar(io.stderr, { phaseWidth: 22 }),
      signal: io.signal,
    });
    if (parsed.json) io.stdout.write(`${JSON.stringify(result.report, null, 2)}\n`);
    else {
      const { report } = result;
      io.stdout.write(
        `wrote ${result.modelPath} (${(result.bytesWritten / 1e6).toFixed(2)} MB; initializers ${(
          report.initializerBytes.before / 1e6
        ).toFixed(
          2,
        )} -> ${(report.initializerBytes.after / 1e6).toFixed(2)} MB) in ${report.seconds.toFixed(1)} s\n`,
      );
      for (const warning of report.warnings) io.stdout.write(`warning: ${warning}\n`);
    }
    return 0;
  } catch (error) {
    if (isXError(error)) {
      io.stderr.write(`x-quant: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
