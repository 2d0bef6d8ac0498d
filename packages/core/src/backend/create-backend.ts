import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { XError } from '../errors';
import { isOnnxModel, type OnnxModel } from '../onnx/model';
import { parseModel } from '../onnx/read-model';
import { serializeForSession } from '../onnx/serialize-for-session';
import { resolveSessionOptions } from './resolve-session-options';
import type { Backend, BackendName, ExternalDataFile, OrtModule, Session, SessionOptions } from './types';
import { wrapSession } from './wrap-session';

/**
 * A `Backend` over an onnxruntime module you already hold (e.g. the copy transformers.js loaded).
 * `loadBackend` calls this after importing the package.
 */
export function createBackend(name: BackendName, ort: OrtModule): Backend {
  return {
    name,
    ort,
    createSession: (model, options) => openSession(name, ort, model, options ?? {}),
  };
}

async function openSession(
  name: BackendName,
  ort: OrtModule,
  model: string | Uint8Array | OnnxModel,
  options: SessionOptions,
): Promise<Session> {
  let source: string | Uint8Array;
  let externalData = options.externalData;
  let label: string;
  if (typeof model === 'string') {
    label = model;
    source = model;
    if (name === 'web' && externalData === undefined) {
      // onnxruntime-web never finds external data on its own ("Module.MountedFiles is not available"):
      // read the model once, list the locations its initializers use, and hand them over as file paths.
      const bytes = await readBytes(model);
      const parsed = parseModel(bytes, { baseDir: dirname(model), fileName: model });
      externalData = parsed
        .externalDataFiles()
        .map((file) => ({ path: file.location, data: file.path ?? file.location }));
      source = bytes;
    }
  } else if (isOnnxModel(model)) {
    label = model.fileName ?? 'in-memory model';
    const serialized = serializeForSession(model);
    source = serialized.bytes;
    externalData = [...serialized.externalData, ...(externalData ?? [])];
  } else if (model instanceof Uint8Array) {
    label = 'model bytes';
    source = model;
  } else {
    throw new XError(
      'X_INVALID_ARGUMENT',
      'createSession: model must be a path, a Uint8Array or an OnnxModel',
      {
        details: { argument: 'model' },
      },
    );
  }
  const ortOptions = resolveSessionOptions(name, ort, {
    ...options,
    externalData: toOrtExternalData(externalData),
  });
  let session: Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;
  try {
    session = await ort.InferenceSession.create(source, ortOptions);
  } catch (error) {
    throw new XError(
      'X_SESSION',
      `${name} backend could not open ${label}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { backend: name, model: label } },
    );
  }
  return wrapSession(name, ort, session);
}

function toOrtExternalData(
  files: readonly ExternalDataFile[] | undefined,
): readonly ExternalDataFile[] | undefined {
  return files && files.length > 0 ? files : undefined;
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new XError('X_MODEL_READ', `cannot read model file ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { file: path },
    });
  }
}
