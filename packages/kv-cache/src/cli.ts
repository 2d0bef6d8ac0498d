// The x-kv command. All logic lives in the library (cli/run-cli.ts, runtime/, profile/).
import { runCommandLine } from '@x/core';
import { runCli } from './cli/run-cli';

runCommandLine('x-kv', (argv, { signal }) =>
  runCli(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    signal,
    interactive: process.stderr.isTTY === true,
  }),
);
