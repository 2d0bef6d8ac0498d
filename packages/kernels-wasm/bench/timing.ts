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

/**
 * Times several bodies in alternation (sample of A, sample of B, ...) so that load from other
 * processes hits all of them alike; returns the median milliseconds of each.
 */
export async function timeInterleaved<K extends string>(
  bodies: Record<K, () => unknown>,
  options: { warmup?: number; repeats?: number; minimumMs?: number } = {},
): Promise<Record<K, number>> {
  const keys = Object.keys(bodies) as K[];
  const inner = {} as Record<K, number>;
  for (const key of keys) {
    for (let i = 0; i < (options.warmup ?? 2); i++) await bodies[key]();
    let count = 1;
    for (;;) {
      const start = performance.now();
      for (let j = 0; j < count; j++) await bodies[key]();
      if (performance.now() - start >= (options.minimumMs ?? 5) || count >= 1 << 16) break;
      count *= 4;
    }
    inner[key] = count;
  }
  const samples = {} as Record<K, number[]>;
  for (const key of keys) samples[key] = [];
  for (let r = 0; r < (options.repeats ?? 9); r++) {
    for (const key of keys) {
      const start = performance.now();
      for (let j = 0; j < inner[key]; j++) await bodies[key]();
      samples[key].push((performance.now() - start) / inner[key]);
    }
  }
  const result = {} as Record<K, number>;
  for (const key of keys) result[key] = median(samples[key]);
  return result;
}

/**
 * Like timeInterleaved (one sample of each body in turn, medians) but returns wall and CPU
 * milliseconds per call; each sample runs a body `inner` times (>= ~5 ms of wall time).
 */
export async function timeInterleavedWallCpu<K extends string>(
  bodies: Record<K, () => unknown>,
  repeats: number,
): Promise<{ wall: Record<K, number>; cpu: Record<K, number> }> {
  const keys = Object.keys(bodies) as K[];
  const inner = {} as Record<K, number>;
  for (const key of keys) {
    for (let i = 0; i < 2; i++) await bodies[key]();
    let count = 1;
    for (;;) {
      const start = performance.now();
      for (let j = 0; j < count; j++) await bodies[key]();
      if (performance.now() - start >= 5 || count >= 1 << 16) break;
      count *= 4;
    }
    inner[key] = count;
  }
  const wallSamples = {} as Record<K, number[]>;
  const cpuSamples = {} as Record<K, number[]>;
  for (const key of keys) {
    wallSamples[key] = [];
    cpuSamples[key] = [];
  }
  for (let r = 0; r < repeats; r++) {
    for (const key of keys) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      for (let j = 0; j < inner[key]; j++) await bodies[key]();
      wallSamples[key].push((performance.now() - start) / inner[key]);
      const cpu = process.cpuUsage(cpuStart);
      cpuSamples[key].push((cpu.user + cpu.system) / 1000 / inner[key]);
    }
  }
  const wall = {} as Record<K, number>;
  const cpu = {} as Record<K, number>;
  for (const key of keys) {
    wall[key] = median(wallSamples[key]);
    cpu[key] = median(cpuSamples[key]);
  }
  return { wall, cpu };
}
