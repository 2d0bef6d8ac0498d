import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { loadBackend } from '../backend/load-backend';
import type { BackendName, Session } from '../backend/types';
import { XError } from '../errors';
import { loadTokenizer } from '../tokenizer/load-tokenizer';
import type { TextTokenizer } from '../tokenizer/types';

export interface OpenedModel {
  session: Session;
  tokenizer: TextTokenizer;
  modelPath: string;
}

/**
 * Opens a model folder in the transformers.js layout (`onnx/model.onnx` or `model.onnx` beside `tokenizer.json`), or
 * an `.onnx` file whose folder (or the folder above an `onnx/` folder) holds the tokenizer.
 * Errors: `X_MODEL_READ` when no model file is found, plus those of `loadTokenizer`, `loadBackend`, `createSession`.
 */
export async function openModelFolder(
  path: string,
  backendName: BackendName,
  threads: number | undefined,
): Promise<OpenedModel> {
  let modelPath: string | undefined;
  let tokenizerDir: string;
  if (path.endsWith('.onnx')) {
    modelPath = path;
    tokenizerDir = basename(dirname(path)) === 'onnx' ? dirname(dirname(path)) : dirname(path);
  } else {
    tokenizerDir = path;
    for (const candidate of [join(path, 'onnx', 'model.onnx'), join(path, 'model.onnx')]) {
      if (await isFile(candidate)) {
        modelPath = candidate;
        break;
      }
    }
  }
  if (!modelPath || !(await isFile(modelPath))) {
    throw new XError(
      'X_MODEL_READ',
      `no model found at ${path} (looked for onnx/model.onnx and model.onnx)`,
      {
        details: { file: path },
      },
    );
  }
  const tokenizer = await loadTokenizer(tokenizerDir);
  const backend = await loadBackend(backendName);
  const session = await backend.createSession(modelPath, threads === undefined ? {} : { threads });
  return { session, tokenizer, modelPath };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
