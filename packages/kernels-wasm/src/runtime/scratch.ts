/**
 * A per-instance scratch arena for calls that take plain typed arrays: one block, bump-allocated
 * during a call and reset after it, grown (re-allocated) only when a call needs more than ever
 * before. In steady state a call allocates nothing.
 */
import { alignUp, blockAlignment, type KernelMemory } from './memory';

export class ScratchArena {
  private base = 0;
  private capacity = 0;
  private used = 0;
  constructor(private readonly memory: KernelMemory) {}

  /**
   * Reserves room for a call that will take `totalBytes` (sum of its `take`s, each rounded to 64)
   * and resets the bump pointer.
   */
  begin(totalBytes: number): void {
    if (totalBytes > this.capacity) {
      if (this.capacity > 0) this.memory.release(this.base);
      const capacity = alignUp(Math.max(totalBytes, this.capacity * 2, 1 << 16), blockAlignment);
      this.base = this.memory.allocate(capacity);
      this.capacity = capacity;
    }
    this.used = 0;
  }

  /** Bytes a call needs for regions of these byte sizes. */
  static bytesFor(...sizes: number[]): number {
    let total = 0;
    for (const size of sizes) total += alignUp(Math.max(size, 1), blockAlignment);
    return total;
  }

  /** Takes `bytes` from the arena (after `begin`) and returns the address. */
  take(bytes: number): number {
    const pointer = this.base + this.used;
    this.used += alignUp(Math.max(bytes, 1), blockAlignment);
    if (this.used > this.capacity) throw new RangeError('ScratchArena: take() beyond begin() size');
    return pointer;
  }
}
