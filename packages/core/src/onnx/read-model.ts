import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { XError } from '../errors';
import { ExternalDataSource } from './external-data-source';
import { OnnxModel } from './model';
import { type ModelProto, onnx } from './proto';
import { validateModel } from './validate-model';

export interface ParseModelOptions {
  /** Directory that external-data locations are relative to. @defaultValue none (external data then needs `externalData`) */
  baseDir?: string;
  /** Name used in error messages and recorded as the model's source file. */
  fileName?: string;
  /** External-data files held in memory, by location (for browsers or buffers); checked before `baseDir`. */
  externalData?: readonly { path: string; data: Uint8Array }[];
}

export interface ReadModelOptions {
  /** Aborts before parsing. */
  signal?: AbortSignal;
}

/**
 * Reads an ONNX model file. External data is checked (files exist, ranges fit) but not loaded.
 * Errors: `X_MODEL_READ` (file missing/unreadable), `X_MODEL_CORRUPT` (truncated or not ONNX, naming the
 * file), `X_EXTERNAL_DATA` (missing file or bad range, naming tensor and file), `X_GRAPH` (unknown op domain).
 */
export async function readModel(path: string, options: ReadModelOptions = {}): Promise<OnnxModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path, { signal: options.signal });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (options.signal?.aborted)
      throw new XError('X_ABORTED', `aborted while reading ${path}`, { cause: error });
    throw new XError(
      'X_MODEL_READ',
      code === 'ENOENT'
        ? `model file ${path} does not exist`
        : `cannot read model file ${path}: ${(error as Error).message}`,
      { cause: error, details: { file: path, code } },
    );
  }
  const absolute = resolve(path);
  return parseModel(bytes, { baseDir: dirname(absolute), fileName: absolute });
}

/** Parses model bytes; see `readModel` for the checks and errors. The model views `bytes` (no copy). */
export function parseModel(bytes: Uint8Array, options: ParseModelOptions = {}): OnnxModel {
  const label = options.fileName ?? 'model bytes';
  let proto: ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new XError(
      'X_MODEL_CORRUPT',
      `${label} is not a valid ONNX model (truncated or not protobuf): ${(error as Error).message}`,
      { cause: error, details: { file: label, bytes: bytes.byteLength } },
    );
  }
  const source = new ExternalDataSource(
    options.baseDir,
    (options.externalData ?? []).map((file) => [file.path, file.data] as const),
  );
  const model = new OnnxModel(proto, { baseDir: options.baseDir, fileName: options.fileName, source });
  validateModel(model, label);
  return model;
}
