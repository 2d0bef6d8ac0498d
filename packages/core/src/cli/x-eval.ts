// The x-eval command. All logic lives in the library (cli/run-cli.ts and the eval/generate modules).
import { runCli } from './run-cli';
import { runCommandLine } from './run-command-line';

runCommandLine('x-eval', (argv, { signal }) =>
  runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTty: process.stderr.isTTY === true,
    signal,
  }),
);
