/**
 * Finds and compiles a kernels module. This file sits directly in src/ so that `../wasm/` is the
 * package's wasm/ folder both from src/ and from the bundled dist/. Node: reads `../wasm/<name>`
 * relative to this module's URL. Browsers and bundlers: `new URL('../wasm/<name>', import.meta.url)`
 * (literal, so Vite / webpack 5 / Rollup emit the asset) through `WebAssembly.compileStreaming`.
 * Compiled modules are cached per file name for the life of the thread.
 */
import { KernelError } from './errors';

export type ModuleFile =
  | 'x-kernels-simd.wasm'
  | 'x-kernels-relaxed.wasm'
  | 'x-kernels-simd-mt.wasm'
  | 'x-kernels-relaxed-mt.wasm';

/** Where a module may come from: bytes, a compiled Module, or a URL (string or URL). */
export type KernelModuleSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | URL | string;

function defaultUrl(file: ModuleFile): URL {
  switch (file) {
    case 'x-kernels-simd.wasm':
      return new URL('../wasm/x-kernels-simd.wasm', import.meta.url);
    case 'x-kernels-relaxed.wasm':
      return new URL('../wasm/x-kernels-relaxed.wasm', import.meta.url);
    case 'x-kernels-simd-mt.wasm':
      return new URL('../wasm/x-kernels-simd-mt.wasm', import.meta.url);
    case 'x-kernels-relaxed-mt.wasm':
      return new URL('../wasm/x-kernels-relaxed-mt.wasm', import.meta.url);
  }
}

const cache = new Map<string, Promise<WebAssembly.Module>>();

function isNode(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof process?.versions?.node === 'string';
}

async function compileUrl(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:' && isNode()) {
    const { readFile } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    return WebAssembly.compile(await readFile(fileURLToPath(url)));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url.href}`);
  if (typeof WebAssembly.compileStreaming === 'function') {
    const type = response.headers.get('content-type') ?? '';
    if (type.includes('application/wasm')) return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Compiles (once per thread) the module `file`, or the user-given `source`. */
export function compileKernelModule(
  file: ModuleFile,
  source?: KernelModuleSource,
): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  const wrap = (cause: unknown, where: string): never => {
    throw new KernelError(
      'KERNEL_LOAD_FAILED',
      `cannot load kernels module ${file} from ${where}: ${String(cause)}`,
      {
        cause,
        details: { file, where },
      },
    );
  };
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
    return WebAssembly.compile(bytes as BufferSource).catch((cause) => wrap(cause, 'given bytes'));
  }
  const url = source === undefined ? defaultUrl(file) : new URL(source);
  const key = url.href;
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = compileUrl(url).catch((cause) => {
      cache.delete(key);
      return wrap(cause, url.href);
    });
    cache.set(key, pending);
  }
  return pending;
}
