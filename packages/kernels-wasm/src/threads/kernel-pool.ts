/**
 * A pool of worker threads over one shared linear memory (worker_threads in Node, Web Workers in
 * browsers). The calling thread is thread 0 and does its share synchronously; `threads - 1`
 * workers run the rest. Needs SharedArrayBuffer (browsers: cross-origin isolation); without it
 * `createKernelPool` throws KERNEL_UNSUPPORTED_ENGINE and callers use the single-thread functions.
 *
 * Call `dispose()` when done: live workers keep a Node process running. Browser workers start from
 * a Blob URL, so a Content-Security-Policy must allow `worker-src blob:`.
 */
import { KernelError } from '../errors';
import { instantiateKernels, type Kernels, moduleFileFor, resolveLoadKernelsOptions } from '../load';
import { compileKernelModule, type KernelModuleSource } from '../module-source';
import { workerSource } from './worker-source';

export interface CreateKernelPoolOptions {
  /**
   * Threads including the calling one.
   * @defaultValue 2
   */
  threads?: number;
  /** @defaultValue 'auto' */
  isa?: 'auto' | 'simd' | 'relaxed';
  /** The shared-memory module (x-kernels-*-mt.wasm) as a Module, bytes or URL. */
  source?: KernelModuleSource;
  /**
   * Stack bytes per worker.
   * @defaultValue 65536
   */
  stackBytes?: number;
}

/** One kernel call: export name and numeric arguments (addresses, sizes). */
export interface KernelCall {
  name: string;
  args: number[];
}

export interface KernelPool {
  readonly threads: number;
  /** The calling thread's instance; pack weights and allocate buffers with it. */
  readonly kernels: Kernels;
  /** Runs `perThread[t]` on thread t (t = 0 here, synchronously), resolving when all are done. */
  run(perThread: KernelCall[][]): Promise<void>;
  /** Stops the workers. */
  dispose(): Promise<void>;
}

interface WorkerHandle {
  post(message: unknown): void;
  onMessage(listener: (message: { type: string; id: number; message?: string }) => void): void;
  terminate(): unknown;
}

async function spawnWorker(): Promise<WorkerHandle> {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof process?.versions?.node === 'string') {
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(workerSource, { eval: true });
    return {
      post: (message) => worker.postMessage(message),
      onMessage: (listener) => worker.on('message', listener),
      terminate: () => worker.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.addEventListener('message', (event) => listener(event.data)),
    terminate: () => worker.terminate(),
  };
}

export async function createKernelPool(options: CreateKernelPoolOptions = {}): Promise<KernelPool> {
  const threads = options.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new KernelError(
      'KERNEL_INVALID_ARGUMENT',
      `createKernelPool: threads must be an integer in [1, 64], got ${threads}`,
      {
        details: { option: 'threads', value: threads },
      },
    );
  }
  const resolved = resolveLoadKernelsOptions({ isa: options.isa, shared: true, source: options.source });
  const module = await compileKernelModule(moduleFileFor(resolved), options.source);
  const kernels = instantiateKernels(module, resolved);
  const stackBytes = options.stackBytes ?? 65536;
  const workers: WorkerHandle[] = [];
  const stacks: number[] = [];
  const pending = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>();
  let nextId = 0;
  try {
    for (let t = 1; t < threads; t++) {
      const worker = await spawnWorker();
      const stack = kernels.memory.allocate(stackBytes);
      stacks.push(stack);
      await new Promise<void>((resolve, reject) => {
        let ready = false;
        worker.onMessage((message) => {
          if (!ready) {
            ready = true;
            if (message.type === 'ready') resolve();
            else reject(new Error(message.message));
            return;
          }
          const waiter = pending.get(message.id);
          if (waiter === undefined) return;
          pending.delete(message.id);
          if (message.type === 'done') waiter.resolve();
          else waiter.reject(new KernelError('KERNEL_LOAD_FAILED', `worker ${t} failed: ${message.message}`));
        });
        worker.post({ type: 'init', module, memory: kernels.memory.memory, stackTop: stack + stackBytes });
      });
      workers.push(worker);
    }
  } catch (cause) {
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw new KernelError(
      'KERNEL_UNSUPPORTED_ENGINE',
      `cannot start kernel worker threads: ${String(cause)}`,
      { cause },
    );
  }
  return {
    threads,
    kernels,
    async run(perThread) {
      const waits: Promise<void>[] = [];
      for (let t = 1; t < perThread.length; t++) {
        const calls = perThread[t];
        if (calls.length === 0) continue;
        const id = nextId++;
        waits.push(new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject })));
        workers[t - 1].post({ type: 'run', id, calls });
      }
      for (const call of perThread[0] ?? []) kernels.kernel(call.name)(...call.args);
      await Promise.all(waits);
    },
    async dispose() {
      await Promise.all(workers.map((worker) => worker.terminate()));
      workers.length = 0;
      for (const stack of stacks) kernels.memory.release(stack);
      stacks.length = 0;
    },
  };
}
