import { describe, expect, it } from 'vitest';
import { isKernelError } from '../errors';
import { KernelMemory, pageBytes } from './memory';

function memoryOf(pages: number, maximum: number): KernelMemory {
  return new KernelMemory(new WebAssembly.Memory({ initial: pages, maximum }), 1000);
}

describe('KernelMemory', () => {
  it('hands out 64-byte aligned, non-overlapping blocks above the heap base', () => {
    const memory = memoryOf(1, 4);
    const blocks = [1, 63, 64, 65, 300].map((bytes) => ({ at: memory.allocate(bytes), bytes }));
    for (const { at } of blocks) {
      expect(at % 64).toBe(0);
      expect(at).toBeGreaterThanOrEqual(1000);
    }
    const sorted = [...blocks].sort((a, b) => a.at - b.at);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i].at).toBeGreaterThanOrEqual(sorted[i - 1].at + sorted[i - 1].bytes);
  });

  it('reuses freed space (first fit, neighbours coalesced)', () => {
    const memory = memoryOf(1, 4);
    const a = memory.allocate(128);
    const b = memory.allocate(128);
    const c = memory.allocate(128);
    memory.allocate(64); // keeps c off the end
    memory.release(a);
    memory.release(b);
    expect(memory.allocate(256)).toBe(a); // a and b merged
    memory.release(c);
    expect(memory.allocate(128)).toBe(c);
  });

  it('grows the memory when needed and fails with KERNEL_OUT_OF_MEMORY past the maximum', () => {
    const memory = memoryOf(1, 2);
    memory.allocate(pageBytes); // needs the second page
    expect(memory.memory.buffer.byteLength).toBe(2 * pageBytes);
    try {
      memory.allocate(pageBytes);
      expect.unreachable();
    } catch (error) {
      expect(isKernelError(error)).toBe(true);
      expect((error as { code: string }).code).toBe('KERNEL_OUT_OF_MEMORY');
    }
  });

  it('typed buffers re-make their view after a grow and refuse use after free', () => {
    const memory = memoryOf(1, 8);
    const buffer = memory.buffer('float32', 4);
    buffer.view().set([1, 2, 3, 4]);
    const before = buffer.view();
    memory.allocate(3 * pageBytes);
    const after = buffer.view();
    expect(before.length).toBe(0); // the old view is detached by the grow
    expect(after === before).toBe(false);
    expect(Array.from(after)).toEqual([1, 2, 3, 4]);
    buffer.free();
    expect(() => buffer.view()).toThrow(expect.objectContaining({ code: 'KERNEL_DISPOSED' }));
    expect(() => memory.release(buffer.pointer)).toThrow(
      expect.objectContaining({ code: 'KERNEL_DISPOSED' }),
    );
  });
});
