/**
 * The allocator over one WebAssembly linear memory: a first-fit free list with coalescing, kept
 * in JS (the kernels themselves never allocate). Blocks are 64-byte aligned (a cache line; v128
 * loads need 16). Growth goes through `memory.grow`; failure is a typed `KERNEL_OUT_OF_MEMORY`.
 * Typed-array views are re-made only when the memory's buffer changed (after a grow).
 */
import { KernelError } from '../errors';

export const pageBytes = 65536;
export const blockAlignment = 64;

interface Block {
  offset: number;
  bytes: number;
}

export type KernelDtype = 'float32' | 'int32' | 'int16' | 'int8' | 'uint8';

export interface DtypeArrays {
  float32: Float32Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Array;
}

type ArrayConstructorOf<D extends KernelDtype> = new (
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
) => DtypeArrays[D];

const constructors: { [D in KernelDtype]: ArrayConstructorOf<D> } = {
  float32: Float32Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
};

export const dtypeBytes: Record<KernelDtype, number> = { float32: 4, int32: 4, int16: 2, int8: 1, uint8: 1 };

/** A typed region of the kernels' linear memory. Pass it to kernels to skip copies. */
export interface KernelBuffer<D extends KernelDtype = KernelDtype> {
  readonly dtype: D;
  /** Byte address in linear memory (64-byte aligned). */
  readonly pointer: number;
  readonly length: number;
  /** A view of the region; re-made after the memory grows, so do not hold it across calls. */
  view(): DtypeArrays[D];
  /** Returns the region to the allocator; the buffer must not be used afterwards. */
  free(): void;
  readonly freed: boolean;
}

export class KernelMemory {
  readonly memory: WebAssembly.Memory;
  private readonly freeList: Block[] = [];
  private readonly live = new Map<number, number>();
  private end: number;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.end = alignUp(heapBase, blockAlignment);
  }

  /** Bytes currently handed out. */
  get allocatedBytes(): number {
    let total = 0;
    for (const bytes of this.live.values()) total += bytes;
    return total;
  }

  /** Reserves `bytes` (rounded up to 64) and returns the byte address. */
  allocate(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) {
      throw new KernelError(
        'KERNEL_INVALID_ARGUMENT',
        `allocate: bytes must be a non-negative integer, got ${bytes}`,
        {
          details: { argument: 'bytes', bytes },
        },
      );
    }
    const size = Math.max(blockAlignment, alignUp(bytes, blockAlignment));
    for (let i = 0; i < this.freeList.length; i++) {
      const block = this.freeList[i];
      if (block.bytes < size) continue;
      const offset = block.offset;
      if (block.bytes === size) this.freeList.splice(i, 1);
      else {
        block.offset += size;
        block.bytes -= size;
      }
      this.live.set(offset, size);
      return offset;
    }
    const offset = this.end;
    this.ensureCapacity(offset + size);
    this.end = offset + size;
    this.live.set(offset, size);
    return offset;
  }

  /** Returns a block from `allocate`. Freeing an unknown address is a typed error. */
  release(offset: number): void {
    const size = this.live.get(offset);
    if (size === undefined) {
      throw new KernelError(
        'KERNEL_DISPOSED',
        `free: no live allocation at address ${offset} (double free?)`,
        {
          details: { pointer: offset },
        },
      );
    }
    this.live.delete(offset);
    if (offset + size === this.end) {
      this.end = offset;
      // Fold a free block that now touches the end.
      const last = this.freeList[this.freeList.length - 1];
      if (last !== undefined && last.offset + last.bytes === this.end) {
        this.end = last.offset;
        this.freeList.pop();
      }
      return;
    }
    let index = this.freeList.findIndex((block) => block.offset > offset);
    if (index < 0) index = this.freeList.length;
    this.freeList.splice(index, 0, { offset, bytes: size });
    const next = this.freeList[index + 1];
    if (next !== undefined && offset + size === next.offset) {
      this.freeList[index].bytes += next.bytes;
      this.freeList.splice(index + 1, 1);
    }
    const previous = this.freeList[index - 1];
    if (previous !== undefined && previous.offset + previous.bytes === offset) {
      previous.bytes += this.freeList[index].bytes;
      this.freeList.splice(index, 1);
    }
  }

  private ensureCapacity(byteEnd: number): void {
    const have = this.memory.buffer.byteLength;
    if (byteEnd <= have) return;
    const pages = Math.ceil((byteEnd - have) / pageBytes);
    try {
      this.memory.grow(pages);
    } catch (cause) {
      throw new KernelError(
        'KERNEL_OUT_OF_MEMORY',
        `kernel memory cannot grow by ${pages} pages to ${byteEnd} bytes (have ${have})`,
        { cause, details: { requestedBytes: byteEnd, currentBytes: have } },
      );
    }
  }

  /** Allocates a typed buffer of `length` elements. */
  buffer<D extends KernelDtype>(dtype: D, length: number): KernelBuffer<D> {
    if (!Number.isInteger(length) || length < 0) {
      throw new KernelError(
        'KERNEL_INVALID_ARGUMENT',
        `buffer: length must be a non-negative integer, got ${length}`,
        {
          details: { argument: 'length', length },
        },
      );
    }
    const pointer = this.allocate(length * dtypeBytes[dtype]);
    const memory = this;
    let cachedBuffer: ArrayBufferLike | undefined;
    let cachedView: DtypeArrays[D] | undefined;
    let freed = false;
    return {
      dtype,
      pointer,
      length,
      get freed() {
        return freed;
      },
      view() {
        if (freed)
          throw new KernelError('KERNEL_DISPOSED', 'buffer used after free()', { details: { pointer } });
        const buffer = memory.memory.buffer;
        if (cachedView === undefined || cachedBuffer !== buffer) {
          cachedBuffer = buffer;
          cachedView = new constructors[dtype](buffer, pointer, length);
        }
        return cachedView;
      },
      free() {
        if (freed) return;
        freed = true;
        memory.release(pointer);
      },
    };
  }
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
