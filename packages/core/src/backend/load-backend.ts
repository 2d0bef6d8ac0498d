import { XError } from '../errors';
import { createBackend } from './create-backend';
import type { Backend, BackendName, BackendRequest, OrtModule } from './types';

/** The npm package behind each backend: the one to install when it is missing. */
export const BACKEND_PACKAGES: Readonly<Record<BackendName, string>> = Object.freeze({
  node: 'onnxruntime-node',
  web: 'onnxruntime-web',
});

/** Imports a backend's runtime module. Literal specifiers keep bundlers able to see (or externalize) them. */
export type BackendImporter = (name: BackendName) => Promise<unknown>;

const defaultImporter: BackendImporter = (name) =>
  name === 'node' ? import('onnxruntime-node') : import('onnxruntime-web');

const loaded = new Map<BackendName, Promise<Backend>>();

/**
 * Loads an ONNX Runtime by dynamic import of its optional peer dependency (onnxruntime-node or
 * onnxruntime-web; in Node the latter resolves to its WASM node build). Nothing touches ORT before this
 * is called. With `{ prefer }` each backend is tried in order, like onnxruntime-common's resolver; if none
 * loads, one `X_BACKEND_UNAVAILABLE` lists every failure and the package to install.
 * Loaded backends are cached per name.
 */
export function loadBackend(request: BackendRequest = { prefer: ['node', 'web'] }): Promise<Backend> {
  return loadBackendWith(request, defaultImporter, loaded);
}

/** `loadBackend` with an injectable importer and cache (internal; tests use it to simulate missing packages). */
export async function loadBackendWith(
  request: BackendRequest,
  importer: BackendImporter,
  cache: Map<BackendName, Promise<Backend>>,
): Promise<Backend> {
  const names = typeof request === 'string' ? [request] : request?.prefer;
  if (!Array.isArray(names) || names.length === 0 || names.some((name) => !(name in BACKEND_PACKAGES))) {
    throw new XError(
      'X_INVALID_ARGUMENT',
      `loadBackend: expected 'node', 'web' or { prefer: ('node' | 'web')[] }, got ${JSON.stringify(request)}`,
      { details: { argument: 'request' } },
    );
  }
  const failures: { backend: BackendName; package: string; reason: string }[] = [];
  const causes: unknown[] = [];
  for (const name of names as BackendName[]) {
    let pending = cache.get(name);
    if (!pending) {
      pending = importBackend(name, importer);
      cache.set(name, pending);
    }
    try {
      return await pending;
    } catch (error) {
      cache.delete(name);
      causes.push(error);
      failures.push({
        backend: name,
        package: BACKEND_PACKAGES[name],
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const lines = failures.map(
    (failure) => `  ${failure.backend}: ${failure.reason} (install it: npm install ${failure.package})`,
  );
  throw new XError('X_BACKEND_UNAVAILABLE', `No ONNX Runtime backend could be loaded:\n${lines.join('\n')}`, {
    cause: causes.length === 1 ? causes[0] : new AggregateError(causes),
    details: { failures },
  });
}

async function importBackend(name: BackendName, importer: BackendImporter): Promise<Backend> {
  const module = (await importer(name)) as Partial<OrtModule> & { default?: Partial<OrtModule> };
  // ESM namespace of a CommonJS package: the API may sit on the namespace or on `default`.
  const ort = (module?.InferenceSession ? module : module?.default) as OrtModule | undefined;
  if (!ort || typeof ort.InferenceSession?.create !== 'function' || typeof ort.Tensor !== 'function') {
    throw new Error(`${BACKEND_PACKAGES[name]} loaded but exports no InferenceSession/Tensor`);
  }
  return createBackend(name, ort);
}
