import type { KvMeter, KvRows } from '../policy/types';

const FLOAT_BYTES = 4;

/**
 * Float32 K/V storage of one layer with one growable row list per KV head (so heads may keep different slots and
 * different counts) and each slot's absolute position. Counts `2 * headDim * 4` bytes per held slot on the meter
 * (the K/V data; growth slack and positions are bookkeeping and not counted). Helper for policies.
 */
export class HeadStore {
  readonly numKvHeads: number;
  readonly headDim: number;
  private readonly meter: KvMeter;
  private readonly keys: Float32Array[] = [];
  private readonly values: Float32Array[] = [];
  private readonly slotPositions: Int32Array[] = [];
  private readonly lengths: Int32Array;

  constructor(numKvHeads: number, headDim: number, meter: KvMeter, initialCapacity = 64) {
    this.numKvHeads = numKvHeads;
    this.headDim = headDim;
    this.meter = meter;
    this.lengths = new Int32Array(numKvHeads);
    for (let h = 0; h < numKvHeads; h++) {
      this.keys.push(new Float32Array(initialCapacity * headDim));
      this.values.push(new Float32Array(initialCapacity * headDim));
      this.slotPositions.push(new Int32Array(initialCapacity));
    }
  }

  /** Bytes of one held slot (key + value). */
  get slotBytes(): number {
    return 2 * this.headDim * FLOAT_BYTES;
  }

  length(head: number): number {
    return this.lengths[head];
  }

  /** Total slots over heads. */
  totalSlots(): number {
    let total = 0;
    for (let h = 0; h < this.numKvHeads; h++) total += this.lengths[h];
    return total;
  }

  /** Keys of a head, `[length, headDim]` (a view: valid until the next append/keep). */
  key(head: number): Float32Array {
    return this.keys[head].subarray(0, this.lengths[head] * this.headDim);
  }

  value(head: number): Float32Array {
    return this.values[head].subarray(0, this.lengths[head] * this.headDim);
  }

  /** Positions of a head's slots (a view). */
  positionView(head: number): Int32Array {
    return this.slotPositions[head].subarray(0, this.lengths[head]);
  }

  /** Appends `rows` (layout `[numKvHeads, count, headDim]`) to every head. */
  append(rows: KvRows): void {
    const { count, headDim } = { count: rows.count, headDim: this.headDim };
    for (let h = 0; h < this.numKvHeads; h++) {
      this.reserve(h, this.lengths[h] + count);
      const at = this.lengths[h];
      const source = h * count * headDim;
      this.keys[h].set(rows.key.subarray(source, source + count * headDim), at * headDim);
      this.values[h].set(rows.value.subarray(source, source + count * headDim), at * headDim);
      for (let i = 0; i < count; i++) this.slotPositions[h][at + i] = rows.start + i;
      this.lengths[h] = at + count;
    }
    this.meter.change(count * this.numKvHeads * this.slotBytes);
  }

  /** Keeps only `slots` (increasing slot indices) of head `head`, compacting in place. */
  keep(head: number, slots: ArrayLike<number>): void {
    const d = this.headDim;
    const key = this.keys[head];
    const value = this.values[head];
    const positions = this.slotPositions[head];
    for (let i = 0; i < slots.length; i++) {
      const from = slots[i];
      if (from === i) continue;
      key.copyWithin(i * d, from * d, from * d + d);
      value.copyWithin(i * d, from * d, from * d + d);
      positions[i] = positions[from];
    }
    const dropped = this.lengths[head] - slots.length;
    this.lengths[head] = slots.length;
    this.meter.change(-dropped * this.slotBytes);
  }

  /** Drops every slot (the meter is credited). */
  clear(): void {
    this.meter.change(-this.totalSlots() * this.slotBytes);
    this.lengths.fill(0);
  }

  private reserve(head: number, slots: number): void {
    const capacity = this.slotPositions[head].length;
    if (slots <= capacity) return;
    const next = Math.max(slots, capacity * 2);
    const grow = (old: Float32Array) => {
      const array = new Float32Array(next * this.headDim);
      array.set(old.subarray(0, this.lengths[head] * this.headDim));
      return array;
    };
    this.keys[head] = grow(this.keys[head]);
    this.values[head] = grow(this.values[head]);
    const positions = new Int32Array(next);
    positions.set(this.slotPositions[head].subarray(0, this.lengths[head]));
    this.slotPositions[head] = positions;
  }
}
