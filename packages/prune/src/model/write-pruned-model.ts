import { copyFile, mkdir, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { type ProgressCallback, throwIfAborted, type WriteModelOptions, writeModel } from '@x/core';
import { PruneError } from '../errors';
import type { PruneModelResult } from './prune-model';

export interface WritePrunedModelOptions {
  /** The input model folder: its top-level files (config.json, tokenizer files, ...) are copied. */
  sourceDir?: string;
  /** External-data layout, passed to core's `writeModel`. @defaultValue writeModel's (external when the input was) */
  externalData?: WriteModelOptions['externalData'];
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface WritePrunedModelResult {
  /** `<outDir>/onnx/model.onnx`. */
  modelPath: string;
  /** `<outDir>/prune-report.json`. */
  reportPath: string;
  /** Every file written, absolute. */
  files: string[];
}

/** The name of the JSON report written beside the model folder's files. */
export const REPORT_FILE = 'prune-report.json';

async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Throws PRUNE_OUTPUT_EXISTS when `outDir` is the input folder or lies inside it (pruning would write over or
 * among its own input). Called before any work is done.
 */
export async function checkOutputFolder(sourceDir: string, outDir: string): Promise<void> {
  const source = await canonical(sourceDir);
  const out = await canonical(outDir);
  const inside = relative(source, out);
  if (
    out === source ||
    (inside !== '' && !inside.startsWith('..') && !inside.startsWith(sep) && !/^[a-z]:/i.test(inside))
  ) {
    throw new PruneError(
      'PRUNE_OUTPUT_EXISTS',
      `output folder ${outDir} is the input folder ${sourceDir} or inside it; choose another folder (nothing was written)`,
      { details: { option: 'out', out: outDir, input: sourceDir } },
    );
  }
}

async function writeAtomically(path: string, content: string | Uint8Array): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}

/**
 * Writes a pruned model in the Hugging Face / transformers.js folder layout: `onnx/model.onnx` (+ external data),
 * the source folder's top-level files (config.json gets `transformers.js_config.use_external_data_format` updated
 * when it has it), and `prune-report.json`. Every file goes through a temporary name and a rename.
 */
export async function writePrunedModel(
  result: PruneModelResult,
  outDir: string,
  options: WritePrunedModelOptions = {},
): Promise<WritePrunedModelResult> {
  if (options.sourceDir) await checkOutputFolder(options.sourceDir, outDir);
  throwIfAborted(options.signal, 'write-model');
  const onnxDir = join(outDir, 'onnx');
  await mkdir(onnxDir, { recursive: true });
  const written = await writeModel(result.model, join(onnxDir, 'model.onnx'), {
    externalData: options.externalData,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  const files = [...written.files];
  if (options.sourceDir) {
    for (const entry of await readdir(options.sourceDir, { withFileTypes: true })) {
      if (!entry.isFile() || entry.name === REPORT_FILE) continue;
      const from = join(options.sourceDir, entry.name);
      const to = join(outDir, entry.name);
      if (entry.name === 'config.json') {
        const config = JSON.parse(await readFile(from, 'utf8')) as Record<string, unknown>;
        const transformersJs = config['transformers.js_config'] as Record<string, unknown> | undefined;
        if (transformersJs && 'use_external_data_format' in transformersJs) {
          transformersJs.use_external_data_format =
            written.externalDataFileCount === 0 ? false : written.externalDataFileCount;
        }
        await writeAtomically(to, `${JSON.stringify(config, null, 2)}\n`);
      } else {
        const temporary = `${to}.tmp-${process.pid}`;
        await copyFile(from, temporary);
        await rename(temporary, to).catch(async (error) => {
          await rm(temporary, { force: true });
          throw error;
        });
      }
      files.push(resolve(to));
    }
  }
  const reportPath = resolve(join(outDir, REPORT_FILE));
  await writeAtomically(reportPath, `${JSON.stringify(result.report, null, 2)}\n`);
  files.push(reportPath);
  return { modelPath: written.modelPath, reportPath, files };
}
