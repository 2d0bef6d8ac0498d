// The x-prune command. All logic lives in the library (cli/run-cli.ts, model/prune-model-folder.ts).
import { runCommandLine } from '@x/core';
import { runCli } from './cli/run-cli';

runCommandLine('x-prune', (argv, { signal }) =>
  runCli(argv, { stdout: process.stdout, stderr: process.stderr, signal }),
);
