import type { KvMeter } from '../policy/types';

/** A `KvMeter` starting at 0 bytes. */
export function createKvMeter(): KvMeter {
  let current = 0;
  let peak = 0;
  return {
    get current() {
      return current;
    },
    get peak() {
      return peak;
    },
    change(delta: number) {
      current += delta;
      if (current > peak) peak = current;
    },
  };
}
