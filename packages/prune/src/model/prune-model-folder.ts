import { join } from 'node:path';
import { findDecoderAnatomy, loadCalibrationFile, readModel } from '@x/core';
import { type PruneModelResult, pruneModel } from './prune-model';
import { type PruneModelOptions, resolvePruneModelOptions } from './prune-model-options';
import { checkOutputFolder, type WritePrunedModelResult, writePrunedModel } from './write-pruned-model';

/** A calibration file for `pruneModelFolder` (read by core's `loadCalibrationFile`). */
export interface CalibrationFileOptions {
  /** Sequences (the papers use 128). */
  samples: number;
  /** Tokens per sequence (the papers use 2048). */
  seqlen: number;
  /** Seed of the window draws. @defaultValue 0 */
  seed?: number;
}

export interface PruneModelFolderOptions extends Omit<PruneModelOptions, 'calibration'> {
  /**
   * Calibration: token-id sequences, or a file (text, tokenized with the folder's tokenizer.json and cut into
   * `samples` seeded windows of `seqlen`; or a `.json` array of token-id arrays).
   */
  calibration?: PruneModelOptions['calibration'] | ({ file: string } & CalibrationFileOptions);
}

export interface PruneModelFolderResult extends WritePrunedModelResult {
  report: PruneModelResult['report'];
}

/**
 * Prunes `<modelDir>/onnx/model.onnx` and writes the result to `outDir` in the same layout (see `writePrunedModel`).
 * Refuses (PRUNE_OUTPUT_EXISTS) an `outDir` that is `modelDir` or inside it before reading anything.
 */
export async function pruneModelFolder(
  modelDir: string,
  outDir: string,
  options: PruneModelFolderOptions = {},
): Promise<PruneModelFolderResult> {
  await checkOutputFolder(modelDir, outDir);
  const model = await readModel(join(modelDir, 'onnx', 'model.onnx'), { signal: options.signal });
  try {
    // Validate the options before tokenizing a calibration file.
    resolvePruneModelOptions(
      { ...options, calibration: undefined },
      findDecoderAnatomy(model).layers.length,
      true,
    );
    const given = options.calibration;
    const calibration =
      given && !Array.isArray(given) && 'file' in given
        ? await loadCalibrationFile(given.file, modelDir, given)
        : (given as PruneModelOptions['calibration']);
    const result = await pruneModel(model, { ...options, calibration });
    if (given && !Array.isArray(given) && 'file' in given) {
      const { file, samples, seqlen } = given;
      result.report.calibrationSource = { file, samples, seqlen, seed: given.seed ?? 0 };
    }
    const written = await writePrunedModel(result, outDir, {
      sourceDir: modelDir,
      onProgress: options.onProgress,
      signal: options.signal,
    });
    return { ...written, report: result.report };
  } finally {
    model.close();
  }
}
