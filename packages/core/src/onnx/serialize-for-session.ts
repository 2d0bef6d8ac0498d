import type { OnnxModel } from './model';
import { type ExternalDataOptions, planExternalData, resolveExternalDataOptions } from './plan-external-data';
import { onnx } from './proto';
import { relocateInitializers } from './relocate-initializers';
import { readTensorBytes } from './tensor-proto';

export interface SerializedModel {
  /** The protobuf bytes. */
  bytes: Uint8Array;
  /** The external-data files it refers to, in memory: pass as `externalData` to `InferenceSession.create`. */
  externalData: { path: string; data: Uint8Array }[];
}

/**
 * Serializes an (edited) in-memory model so either backend can open it without touching disk: large
 * initializers go to in-memory external-data buffers (keeping the protobuf under its 2 GB limit), small
 * ones stay inline. `Backend.createSession(model)` calls this for you.
 */
export function serializeForSession(model: OnnxModel, options: ExternalDataOptions = {}): SerializedModel {
  const resolved = resolveExternalDataOptions(options, 'model.onnx_data');
  const plan = planExternalData(model, resolved);
  const buffers = plan.files.map((file) => new Uint8Array(file.byteLength));
  for (const placement of plan.placements) {
    if (placement.file === undefined) continue;
    buffers[placement.file].set(readTensorBytes(placement.tensor, model.source), placement.offset);
  }
  const bytes = onnx.ModelProto.encode(relocateInitializers(model, plan)).finish();
  return { bytes, externalData: plan.files.map((file, i) => ({ path: file.location, data: buffers[i] })) };
}
