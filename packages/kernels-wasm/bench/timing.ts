/** Benchmark plumbing: medians of timed repetitions, JSON rows on stdout. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs `body` `warmup` times, then `repeats` times; returns the median milliseconds. */
export async function timeMedian(
  body: () => unknown,
  options: { warmup?: number; repeats?: number; minimumMs?: number } = {},
): Promise<number> {
  const warmup = options.warmup ?? 2;
  const repeats = options.repeats ?? 7;
  for (let i = 0; i < warmup; i++) await body();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    // Batch fast bodies so each sample lasts >= minimumMs (timer resolution).
    let inner = 1;
    let elapsed = 0;
    for (;;) {
      const start = performance.now();
      for (let j = 0; j < inner; j++) await body();
      elapsed = performance.now() - start;
      if (elapsed >= (options.minimumMs ?? 5) || inner >= 1 << 16) break;
      inner *= 4;
    }
    times.push(elapsed / inner);
  }
  return median(times);
}

export function emit(row: Record<string, unknown>): void {
  console.log(JSON.stringify(row));
}
