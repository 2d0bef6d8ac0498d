import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isXError, type ProgressCallback, throwIfAborted, XError } from '../errors';
import type { OnnxModel } from './model';
import {
  type ExternalDataOptions,
  planExternalData,
  type ResolvedExternalDataOptions,
  resolveExternalDataOptions,
} from './plan-external-data';
import { onnx } from './proto';
import { relocateInitializers } from './relocate-initializers';
import { readTensorBytes } from './tensor-proto';

export interface WriteModelOptions {
  /**
   * Store large initializers in external-data files (`false`: everything inside the protobuf, which
   * cannot exceed 2 GB).
   * @defaultValue external data with default settings when the model already uses external data or its
   * initializers exceed 1 GiB; otherwise `false`
   */
  externalData?: ExternalDataOptions | false;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface ResolvedWriteModelOptions {
  externalData: ResolvedExternalDataOptions | false;
}

export interface WriteModelResult {
  /** Absolute path of the model file written. */
  modelPath: string;
  /** Absolute paths of every file written: the model first, then its external-data files. */
  files: string[];
  /** Locations (relative to the model) of the external-data files, in order. */
  externalDataFiles: string[];
  /** Number of external-data files: the value for `transformers.js_config.use_external_data_format`. */
  externalDataFileCount: number;
  /** Total bytes written across all files. */
  bytesWritten: number;
  /** The options as resolved, so the write can be repeated exactly. */
  options: ResolvedWriteModelOptions;
}

const PROTOBUF_LIMIT = 2 ** 31 - 1;
let temporaryCounter = 0;

/**
 * Writes a model, atomically: every file goes to a temporary name first and is renamed into place only
 * after all were written. Tensors are streamed one at a time, so data larger than memory is fine.
 * Refuses (`X_MODEL_WRITE`, before writing anything) to overwrite the model's own source files.
 */
export async function writeModel(
  model: OnnxModel,
  outPath: string,
  options: WriteModelOptions = {},
): Promise<WriteModelResult> {
  const modelPath = resolve(outPath);
  const outDir = dirname(modelPath);
  const resolved = resolveWriteModelOptions(model, modelPath, options);
  const plan = planExternalData(model, resolved.externalData || undefined);
  const dataPaths = plan.files.map((file) => join(outDir, file.location));
  refuseOverwritingSources(model, [modelPath, ...dataPaths]);

  const written: { temporary: string; target: string }[] = [];
  let bytesWritten = 0;
  const total = plan.placements.filter((placement) => placement.file !== undefined).length + 1;
  let done = 0;
  try {
    for (let fileIndex = 0; fileIndex < plan.files.length; fileIndex++) {
      const target = dataPaths[fileIndex];
      mkdirSync(dirname(target), { recursive: true });
      const temporary = temporaryName(target);
      written.push({ temporary, target });
      const fd = openSync(temporary, 'wx');
      try {
        let position = 0;
        for (const placement of plan.placements) {
          if (placement.file !== fileIndex) continue;
          throwIfAborted(options.signal, 'write-model');
          if (placement.offset > position) {
            writeAll(fd, new Uint8Array(placement.offset - position), position);
            position = placement.offset;
          }
          writeAll(fd, readTensorBytes(placement.tensor, model.source), position);
          position += placement.byteLength;
          done += 1;
          options.onProgress?.({ phase: 'write-model', done, total });
        }
        bytesWritten += position;
      } finally {
        closeSync(fd);
      }
    }
    const bytes = onnx.ModelProto.encode(relocateInitializers(model, plan)).finish();
    if (bytes.byteLength > PROTOBUF_LIMIT) {
      throw new XError(
        'X_MODEL_WRITE',
        `${modelPath}: the protobuf would be ${bytes.byteLength} bytes, over the 2 GB limit; write with externalData`,
        { details: { file: modelPath, bytes: bytes.byteLength } },
      );
    }
    mkdirSync(outDir, { recursive: true });
    const temporary = temporaryName(modelPath);
    written.push({ temporary, target: modelPath });
    const fd = openSync(temporary, 'wx');
    try {
      writeAll(fd, bytes, 0);
    } finally {
      closeSync(fd);
    }
    bytesWritten += bytes.byteLength;
    throwIfAborted(options.signal, 'write-model');
    // Data files first, the model last: a reader never sees a new model pointing at old data.
    for (const file of written) renameSync(file.temporary, file.target);
    options.onProgress?.({ phase: 'write-model', done: total, total });
  } catch (error) {
    for (const file of written) rmSync(file.temporary, { force: true });
    if (isXError(error)) throw error;
    throw new XError('X_MODEL_WRITE', `cannot write ${modelPath}: ${(error as Error).message}`, {
      cause: error,
      details: { file: modelPath },
    });
  }
  return {
    modelPath,
    files: [modelPath, ...dataPaths],
    externalDataFiles: plan.files.map((file) => file.location),
    externalDataFileCount: plan.files.length,
    bytesWritten,
    options: resolved,
  };
}

/** Resolves `writeModel` defaults (the one place they live). */
export function resolveWriteModelOptions(
  model: OnnxModel,
  modelPath: string,
  options: WriteModelOptions,
): ResolvedWriteModelOptions {
  const defaultLocation = `${basename(modelPath)}_data`;
  if (options.externalData === false) return { externalData: false };
  if (options.externalData !== undefined) {
    return { externalData: resolveExternalDataOptions(options.externalData, defaultLocation) };
  }
  const initializers = model.proto.graph?.initializer ?? [];
  const usesExternal = initializers.some((tensor) => tensor.dataLocation === 1);
  const inlineBytes = initializers.reduce((sum, tensor) => sum + (tensor.rawData?.byteLength ?? 0), 0);
  return {
    externalData:
      usesExternal || inlineBytes > 2 ** 30 ? resolveExternalDataOptions({}, defaultLocation) : false,
  };
}

function refuseOverwritingSources(model: OnnxModel, targets: string[]): void {
  const sources = new Map<string, string>();
  const add = (path: string | undefined, what: string) => {
    if (path) sources.set(canonical(path), what);
  };
  add(model.fileName, 'the model file it was read from');
  for (const file of model.externalDataFiles()) add(file.path, `its external-data file ${file.location}`);
  for (const target of targets) {
    const what = sources.get(canonical(target));
    if (what) {
      throw new XError(
        'X_MODEL_WRITE',
        `refusing to write ${target}: it is ${what}; write to another path (the input stays untouched)`,
        { details: { file: target } },
      );
    }
  }
}

function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return existsSync(absolute)
      ? realpathSync(absolute)
      : join(realpathSync(dirname(absolute)), basename(absolute));
  } catch {
    return absolute;
  }
}

function temporaryName(target: string): string {
  temporaryCounter += 1;
  return `${target}.tmp-${process.pid}-${Date.now().toString(36)}-${temporaryCounter}`;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.byteLength) {
    done += writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, 1 << 30), position + done);
  }
}
