/** Timing helpers for the benchmarks: warm-up, interleaved samples, medians in milliseconds, JSON lines. */
export async function medians(
  candidates: Record<string, () => Promise<unknown> | unknown>,
  options: { warmup?: number; samples?: number } = {},
): Promise<Record<string, number>> {
  const names = Object.keys(candidates);
  for (let i = 0; i < (options.warmup ?? 1); i++) for (const name of names) await candidates[name]();
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < (options.samples ?? 5); i++) {
    for (const name of names) {
      const start = performance.now();
      await candidates[name]();
      times[name].push(performance.now() - start);
    }
  }
  return Object.fromEntries(
    names.map((name) => {
      const sorted = times[name].sort((a, b) => a - b);
      return [name, Number(sorted[Math.floor(sorted.length / 2)].toFixed(2))];
    }),
  );
}

export function emit(row: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(row)}\n`);
}
