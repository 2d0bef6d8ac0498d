// The x-eval command. All logic lives in the library (cli/run-cli.ts and the eval/generate modules).
import { runCli } from './run-cli';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted (SIGINT)')));
runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stderrIsTty: process.stderr.isTTY === true,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `x-eval: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
