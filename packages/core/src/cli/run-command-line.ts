/**
 * The process side of an `x-*` command: argv in, exit code out, Ctrl-C as an abort signal, and a last-resort
 * report of an unexpected error (typed errors are the command's own business and exit 1 there).
 */
export function runCommandLine(
  name: string,
  run: (argv: string[], context: { signal: AbortSignal }) => Promise<number>,
): void {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted (SIGINT)')));
  run(process.argv.slice(2), { signal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `${name}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
