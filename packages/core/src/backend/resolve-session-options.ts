import { XError } from '../errors';
import type { BackendName, ExternalDataFile, OrtModule, SessionOptions } from './types';

const levels = new Set(['disabled', 'basic', 'extended', 'all']);

/**
 * Turns @x session options into ORT `InferenceSession.create` options (the single place defaults live).
 * For web, `threads` sets the process-wide `env.wasm.numThreads`, honoured until the first web session starts.
 */
export function resolveSessionOptions(
  name: BackendName,
  ort: OrtModule,
  options: SessionOptions & { externalData?: readonly ExternalDataFile[] },
): Record<string, unknown> {
  const { threads, graphOptimizationLevel = 'all', externalData, ortOptions } = options;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) {
    throw new XError(
      'X_INVALID_ARGUMENT',
      `session option threads must be a non-negative integer, got ${threads}`,
      {
        details: { option: 'threads' },
      },
    );
  }
  if (!levels.has(graphOptimizationLevel)) {
    throw new XError(
      'X_INVALID_ARGUMENT',
      `session option graphOptimizationLevel must be one of ${[...levels].join(', ')}, got ${JSON.stringify(graphOptimizationLevel)}`,
      { details: { option: 'graphOptimizationLevel' } },
    );
  }
  const resolved: Record<string, unknown> = { graphOptimizationLevel };
  if (name === 'node') {
    resolved.executionProviders = ['cpu'];
    if (threads !== undefined) resolved.intraOpNumThreads = threads;
  } else {
    resolved.executionProviders = ['wasm'];
    if (threads !== undefined && ort.env.wasm) ort.env.wasm.numThreads = threads;
  }
  if (externalData) {
    for (const file of externalData) {
      if (name === 'node' && typeof file.data === 'string') {
        // onnxruntime-node rejects string data; a path entry is only useful when opening from bytes.
        throw new XError(
          'X_INVALID_ARGUMENT',
          `externalData ${file.path}: onnxruntime-node needs bytes (Uint8Array), not a path string`,
          { details: { option: 'externalData', path: file.path } },
        );
      }
    }
    resolved.externalData = externalData.map((file) => ({ path: file.path, data: file.data }));
  }
  return { ...resolved, ...ortOptions };
}
