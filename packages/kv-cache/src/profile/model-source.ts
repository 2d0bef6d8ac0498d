import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isOnnxModel, type OnnxModel, readModel } from '@x/core';
import { KvCacheError } from '../errors';

/** `<dir>/model.onnx` or `<dir>/onnx/model.onnx` for a folder; the path itself for a file. */
export async function locateModelFile(path: string): Promise<string> {
  const info = await stat(path).catch((error: unknown) => {
    throw new KvCacheError('KV_MODEL', `cannot open model ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { file: path },
    });
  });
  if (!info.isDirectory()) return path;
  for (const candidate of ['model.onnx', join('onnx', 'model.onnx')]) {
    const file = join(path, candidate);
    if (
      await stat(file).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  throw new KvCacheError('KV_MODEL', `no model.onnx or onnx/model.onnx in ${path}`, {
    details: { file: path },
  });
}

/** The model as an `OnnxModel` (read from a folder or file when given a path). */
export async function openModel(model: string | OnnxModel): Promise<OnnxModel> {
  return isOnnxModel(model) ? model : readModel(await locateModelFile(model));
}
