/**
 * Folder in, folder out: reads `<modelDir>/onnx/model.onnx` (the transformers.js layout), runs
 * `quantizeModel`, writes `<outDir>/onnx/model.onnx` atomically with core's `writeModel`, copies the other
 * files of the folder (config, tokenizer) and writes `quantize-report.json`. The model read from disk is
 * rotated in place (`inPlace` defaults to true here), so only one copy of the weights is held. Refuses an output folder that is
 * the input folder or inside it.
 */
import { copyFile, mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { readModel, writeModel } from '@x/core';
import { QuantError } from '../errors';
import { type QuantizeModelReport, quantizeModel } from '../pipeline/quantize-model';
import type { QuantizeModelOptions } from '../pipeline/quantize-model-options';
import { type CalibrationFileOptions, loadCalibrationFile } from './calibration-file';

export interface QuantizeModelFolderOptions extends Omit<QuantizeModelOptions, 'calibration'> {
  /** Token-id sequences, or a file (see `loadCalibrationFile`). */
  calibration?: QuantizeModelOptions['calibration'] | ({ file: string } & CalibrationFileOptions);
}

export interface QuantizeModelFolderResult {
  report: QuantizeModelReport & { calibrationSource?: { file: string } & CalibrationFileOptions };
  modelPath: string;
  files: string[];
  bytesWritten: number;
}

export async function quantizeModelFolder(
  modelDir: string,
  outDir: string,
  options: QuantizeModelFolderOptions = {},
): Promise<QuantizeModelFolderResult> {
  const from = resolve(modelDir);
  const to = resolve(outDir);
  const inside = relative(from, to);
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) {
    throw new QuantError(
      'QUANT_INVALID_OPTION',
      `the output folder ${to} must not be the model folder or inside it`,
      {
        details: { option: 'out', out: to, model: from },
      },
    );
  }
  const model = await readModel(join(from, 'onnx', 'model.onnx'), { signal: options.signal });
  try {
    const given = options.calibration;
    const fromFile = given !== undefined && 'file' in given ? given : undefined;
    const calibration = fromFile
      ? { sequences: await loadCalibrationFile(fromFile.file, from, fromFile) }
      : (given as QuantizeModelOptions['calibration']);
    // The model read here is ours alone: rotate it in place unless told otherwise (no second weight copy).
    const { model: quantized, report } = await quantizeModel(model, {
      ...options,
      inPlace: options.inPlace ?? true,
      calibration,
    });
    await mkdir(join(to, 'onnx'), { recursive: true });
    const written = await writeModel(quantized, join(to, 'onnx', 'model.onnx'), {
      onProgress: options.onProgress,
      signal: options.signal,
    });
    for (const entry of await readdir(from, { withFileTypes: true })) {
      if (entry.isFile()) await copyFile(join(from, entry.name), join(to, entry.name));
    }
    const fullReport = fromFile
      ? {
          ...report,
          calibrationSource: {
            file: fromFile.file,
            samples: fromFile.samples,
            seqlen: fromFile.seqlen,
            seed: fromFile.seed,
          },
        }
      : report;
    const reportPath = join(to, 'quantize-report.json');
    await writeFile(`${reportPath}.tmp`, `${JSON.stringify(fullReport, null, 2)}\n`);
    await rename(`${reportPath}.tmp`, reportPath);
    quantized.close();
    return {
      report: fullReport,
      modelPath: written.modelPath,
      files: [...written.files, reportPath],
      bytesWritten: written.bytesWritten,
    };
  } finally {
    model.close();
  }
}
