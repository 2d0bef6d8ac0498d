import { isXError } from '../errors';
import { type CliIo, UsageError } from './cli-io';
import { GENERATE_USAGE, runGenerateCommand } from './generate-command';
import { PASSKEY_USAGE, runPasskeyCommand } from './passkey-command';
import { PPL_USAGE, runPplCommand } from './ppl-command';

const USAGE = `usage:\n  ${PPL_USAGE}\n  ${GENERATE_USAGE}\n  ${PASSKEY_USAGE}\n`;

/** The x-eval command line. Returns the exit code: 0 success, 1 an `XError`, 2 a usage error. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'ppl') return await runPplCommand(rest, io);
    if (command === 'generate') return await runGenerateCommand(rest, io);
    if (command === 'passkey') return await runPasskeyCommand(rest, io);
    if (command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(USAGE);
      return 0;
    }
    io.stderr.write(command === undefined ? USAGE : `x-eval: unknown command ${command}\n${USAGE}`);
    return 2;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`x-eval: ${(error as Error).message}\n`);
      return 2;
    }
    if (isXError(error)) {
      io.stderr.write(`x-eval: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
