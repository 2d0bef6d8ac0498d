/**
 * Loads the kernels: feature detection (SIMD128 required; relaxed SIMD used when the engine
 * validates it), module lookup (see module-source.ts), one instance with its own linear memory
 * and allocator. `getKernels()` is the lazy per-thread default instance; `loadKernels()` makes a
 * fresh one.
 */
import { KernelError } from './errors';
import { compileKernelModule, type KernelModuleSource, type ModuleFile } from './module-source';
import { hasRelaxedSimd, hasSharedMemory, hasWasmSimd } from './runtime/features';
import { type KernelBuffer, type KernelDtype, KernelMemory, pageBytes } from './runtime/memory';
import { ScratchArena } from './runtime/scratch';

export type KernelIsa = 'simd' | 'relaxed';

export interface LoadKernelsOptions {
  /**
   * Instruction set: `'auto'` takes relaxed SIMD when `WebAssembly.validate` accepts it, else SIMD128.
   * @defaultValue 'auto'
   */
  isa?: 'auto' | KernelIsa;
  /**
   * Use the shared-memory build (linear memory over a SharedArrayBuffer) so worker threads can
   * run on the same memory; needs cross-origin isolation in browsers.
   * @defaultValue false
   */
  shared?: boolean;
  /** A compiled Module, its bytes, or its URL, instead of the packaged file (CSP, CDN, tests). */
  source?: KernelModuleSource;
  /**
   * Most bytes the linear memory may grow to (rounded to 64 KiB pages, at most 2 GiB).
   * @defaultValue 2147483648
   */
  maximumMemoryBytes?: number;
}

export interface ResolvedLoadKernelsOptions {
  isa: KernelIsa;
  shared: boolean;
  maximumMemoryBytes: number;
}

type ExportedFunction = (...args: number[]) => number;

/** One instantiated kernels module with its memory, allocator and scratch arena. */
export interface Kernels {
  readonly options: ResolvedLoadKernelsOptions;
  readonly module: WebAssembly.Module;
  readonly instance: WebAssembly.Instance;
  readonly memory: KernelMemory;
  readonly scratch: ScratchArena;
  /** The first export found among `names` (best variant first). */
  kernel(...names: string[]): ExportedFunction;
  /** Allocates a typed buffer inside the kernels' memory (zero-copy inputs and outputs). */
  alloc<D extends KernelDtype>(dtype: D, length: number): KernelBuffer<D>;
}

const maximumBytesLimit = 2 ** 31;
const initialPages = 16;

export function resolveLoadKernelsOptions(options: LoadKernelsOptions = {}): ResolvedLoadKernelsOptions {
  const requested = options.isa ?? 'auto';
  if (requested !== 'auto' && requested !== 'simd' && requested !== 'relaxed') {
    throw new KernelError('KERNEL_INVALID_ARGUMENT', `loadKernels: isa must be 'auto', 'simd' or 'relaxed'`, {
      details: { option: 'isa', value: requested },
    });
  }
  if (!hasWasmSimd()) {
    throw new KernelError('KERNEL_UNSUPPORTED_ENGINE', 'this engine lacks WebAssembly SIMD128', {
      details: { feature: 'simd128' },
    });
  }
  const isa: KernelIsa = requested === 'auto' ? (hasRelaxedSimd() ? 'relaxed' : 'simd') : requested;
  if (isa === 'relaxed' && options.source === undefined && !hasRelaxedSimd()) {
    throw new KernelError(
      'KERNEL_UNSUPPORTED_ENGINE',
      'this engine lacks relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)',
      {
        details: { feature: 'relaxed-simd', option: 'isa' },
      },
    );
  }
  const shared = options.shared ?? false;
  if (shared && !hasSharedMemory()) {
    throw new KernelError(
      'KERNEL_UNSUPPORTED_ENGINE',
      'shared WebAssembly memory is unavailable (browsers need cross-origin isolation)',
      {
        details: { feature: 'shared-memory', option: 'shared' },
      },
    );
  }
  const maximumMemoryBytes = options.maximumMemoryBytes ?? maximumBytesLimit;
  if (!(maximumMemoryBytes >= initialPages * pageBytes && maximumMemoryBytes <= maximumBytesLimit)) {
    throw new KernelError(
      'KERNEL_INVALID_ARGUMENT',
      `loadKernels: maximumMemoryBytes must be in [1 MiB, 2 GiB], got ${maximumMemoryBytes}`,
      {
        details: { option: 'maximumMemoryBytes', value: maximumMemoryBytes },
      },
    );
  }
  return { isa, shared, maximumMemoryBytes: Math.floor(maximumMemoryBytes / pageBytes) * pageBytes };
}

export function moduleFileFor(options: ResolvedLoadKernelsOptions): ModuleFile {
  return `x-kernels-${options.isa}${options.shared ? '-mt' : ''}.wasm` as ModuleFile;
}

/** Instantiates `module` on `memory` (a worker passes the main thread's shared memory). */
export function instantiateKernels(
  module: WebAssembly.Module,
  options: ResolvedLoadKernelsOptions,
  memory?: WebAssembly.Memory,
): Kernels {
  const linear =
    memory ??
    new WebAssembly.Memory({
      initial: initialPages,
      maximum: options.maximumMemoryBytes / pageBytes,
      shared: options.shared,
    } as WebAssembly.MemoryDescriptor);
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, { env: { memory: linear } });
  } catch (cause) {
    throw new KernelError('KERNEL_LOAD_FAILED', `cannot instantiate kernels module: ${String(cause)}`, {
      cause,
    });
  }
  const exports = instance.exports as Record<string, unknown>;
  const heapBase = (exports.__heap_base as WebAssembly.Global).value as number;
  const kernelMemory = new KernelMemory(linear, heapBase);
  const resolved = new Map<string, ExportedFunction>();
  return {
    options,
    module,
    instance,
    memory: kernelMemory,
    scratch: new ScratchArena(kernelMemory),
    kernel(...names) {
      const key = names.join('|');
      const hit = resolved.get(key);
      if (hit !== undefined) return hit;
      for (const name of names) {
        const candidate = exports[name];
        if (typeof candidate === 'function') {
          resolved.set(key, candidate as ExportedFunction);
          return candidate as ExportedFunction;
        }
      }
      throw new KernelError('KERNEL_LOAD_FAILED', `kernels module exports none of ${names.join(', ')}`, {
        details: { names },
      });
    },
    alloc(dtype, length) {
      return kernelMemory.buffer(dtype, length);
    },
  };
}

/** Compiles (cached per thread) and instantiates a fresh kernels instance. */
export async function loadKernels(options: LoadKernelsOptions = {}): Promise<Kernels> {
  const resolved = resolveLoadKernelsOptions(options);
  const module = await compileKernelModule(moduleFileFor(resolved), options.source);
  return instantiateKernels(module, resolved);
}

let defaultKernels: Promise<Kernels> | undefined;

/** The lazily created default instance of this thread (isa 'auto', not shared). */
export function getKernels(): Promise<Kernels> {
  defaultKernels ??= loadKernels().catch((error) => {
    defaultKernels = undefined;
    throw error;
  });
  return defaultKernels;
}
