/** Timing helpers: warm-up, then interleaved samples of every candidate, medians in milliseconds. */
export async function medians(
  candidates: Record<string, () => Promise<unknown> | unknown>,
  options: { warmup?: number; samples?: number } = {},
): Promise<Record<string, number>> {
  const names = Object.keys(candidates);
  for (let i = 0; i < (options.warmup ?? 3); i++) for (const name of names) await candidates[name]();
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < (options.samples ?? 15); i++) {
    for (const name of names) {
      const start = performance.now();
      await candidates[name]();
      times[name].push(performance.now() - start);
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const sorted = times[n].sort((a, b) => a - b);
      return [n, Number(sorted[Math.floor(sorted.length / 2)].toFixed(4))];
    }),
  );
}

export function emit(row: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(row)}\n`);
}
