import { createProgressBar } from './progress-bar';

/** Where the CLI writes and what cancels it; injectable for tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  signal?: AbortSignal;
  /** Redraws progress in place on stderr (a TTY); otherwise prints a line per 10%. */
  stderrIsTty?: boolean;
}

/** A bad command line: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A progress callback that draws core's progress bar on stderr. */
export function progressReporter(io: CliIo): (event: { phase: string; done: number; total: number }) => void {
  return createProgressBar({ write: (text) => io.stderr.write(text), isTTY: io.stderrIsTty });
}

export function parseInteger(value: string | undefined, flag: string, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum)
    throw new UsageError(`--${flag} must be an integer >= ${minimum}, got ${value}`);
  return number;
}

export function parseNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number)) throw new UsageError(`--${flag} must be a number, got ${value}`);
  return number;
}

export function parseList(value: string | undefined, flag: string): number[] | undefined {
  if (value === undefined) return undefined;
  const numbers = value.split(',').map((part) => Number(part.trim()));
  if (numbers.length === 0 || numbers.some((number) => !Number.isFinite(number))) {
    throw new UsageError(`--${flag} must be a comma-separated list of numbers, got ${value}`);
  }
  return numbers;
}

export function parseBackend(value: string | undefined): 'node' | 'web' {
  if (value === undefined || value === 'node' || value === 'web') return value ?? 'node';
  throw new UsageError(`--backend must be node or web, got ${value}`);
}
