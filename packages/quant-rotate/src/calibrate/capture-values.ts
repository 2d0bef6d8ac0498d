/**
 * Runs calibration sequences through a copy of the model with intermediate values exposed as graph
 * outputs (core's `addGraphOutputs`), handing each sequence's values to `visit` as `[tokens, channels]`
 * matrices, so nothing accumulates beyond what the visitor keeps.
 */
import { addGraphOutputs, type Backend, type DecoderAnatomy, type OnnxModel, throwIfAborted } from '@x/core';
import type { Matrix, ProgressCallback } from '../types';
import { createDecoderFeeds } from './decoder-feeds';

export interface CaptureOptions {
  phase: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  threads?: number;
}

export async function captureValues(
  model: OnnxModel,
  anatomy: DecoderAnatomy,
  backend: Backend,
  sequences: readonly (readonly number[])[],
  values: readonly string[],
  visit: (captured: Map<string, Matrix<Float32Array>>, sequence: number) => void,
  options: CaptureOptions,
): Promise<void> {
  const copy = model.clone();
  const unique = [...new Set(values)];
  addGraphOutputs(copy, unique);
  const session = await backend.createSession(copy, {
    graphOptimizationLevel: 'basic',
    threads: options.threads,
  });
  try {
    for (let s = 0; s < sequences.length; s++) {
      throwIfAborted(options.signal, options.phase);
      const outputs = await session.run(createDecoderFeeds(anatomy, sequences[s]), unique);
      const captured = new Map<string, Matrix<Float32Array>>();
      for (const name of unique) {
        const tensor = outputs[name];
        const cols = tensor.dims[tensor.dims.length - 1];
        const data = tensor.data as Float32Array;
        captured.set(name, { rows: data.length / cols, cols, data });
      }
      visit(captured, s);
      options.onProgress?.({ phase: options.phase, done: s + 1, total: sequences.length });
    }
  } finally {
    await session.release();
  }
}
