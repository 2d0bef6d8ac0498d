import { XError } from '../errors';
import type { OnnxModel } from './model';
import type { TensorProto } from './proto';
import { tensorProtoByteLength } from './tensor-proto';

/** How initializers are laid out in external-data files. */
export interface ExternalDataOptions {
  /**
   * Location of the first data file, relative to the model file; later files get `_1`, `_2`, ... appended
   * (`model.onnx_data`, `model.onnx_data_1`: the names transformers.js loads for `use_external_data_format: n`).
   * @defaultValue `<model file name>_data` (`model.onnx` -> `model.onnx_data`)
   */
  location?: string;
  /**
   * Start a new file when the next tensor would push the current one past this size. A tensor larger than
   * this gets a file of its own (tensors are never split).
   * @defaultValue 2147483647 (2 GiB - 1: the largest ArrayBuffer browsers reliably allocate)
   */
  maxFileBytes?: number;
  /**
   * Initializers smaller than this many bytes stay inside the protobuf.
   * @defaultValue 1024 (as onnx's `convert_model_to_external_data`)
   */
  sizeThreshold?: number;
}

export type ResolvedExternalDataOptions = Required<ExternalDataOptions>;

/** Where one initializer goes. */
export interface Placement {
  index: number;
  tensor: TensorProto;
  byteLength: number;
  /** Index into `files`, or undefined to stay inline. */
  file: number | undefined;
  offset: number;
}

export interface ExternalDataPlan {
  placements: Placement[];
  files: { location: string; byteLength: number }[];
}

/** Offsets are aligned (64 B; 4 KiB for tensors of 1 MiB and more) so every typed array and page map fits. */
function alignmentFor(byteLength: number): number {
  return byteLength >= 1 << 20 ? 4096 : 64;
}

export function resolveExternalDataOptions(
  options: ExternalDataOptions,
  defaultLocation: string,
): ResolvedExternalDataOptions {
  const resolved = {
    location: options.location ?? defaultLocation,
    maxFileBytes: options.maxFileBytes ?? 2 ** 31 - 1,
    sizeThreshold: options.sizeThreshold ?? 1024,
  };
  if (
    !resolved.location ||
    resolved.location.startsWith('/') ||
    resolved.location.split(/[\\/]/).includes('..')
  ) {
    throw new XError(
      'X_INVALID_ARGUMENT',
      `externalData.location ${JSON.stringify(resolved.location)} must be a relative path inside the model directory`,
      {
        details: { option: 'externalData.location' },
      },
    );
  }
  for (const key of ['maxFileBytes', 'sizeThreshold'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] < (key === 'maxFileBytes' ? 1 : 0)) {
      throw new XError(
        'X_INVALID_ARGUMENT',
        `externalData.${key} must be a ${key === 'maxFileBytes' ? 'positive' : 'non-negative'} integer, got ${resolved[key]}`,
        {
          details: { option: `externalData.${key}` },
        },
      );
    }
  }
  return resolved;
}

/** File name of the k-th external-data file. */
export function externalDataLocation(base: string, index: number): string {
  return index === 0 ? base : `${base}_${index}`;
}

/** Assigns every initializer to inline storage or a byte range of an external-data file, in graph order. */
export function planExternalData(
  model: OnnxModel,
  options: ResolvedExternalDataOptions | undefined,
): ExternalDataPlan {
  const placements: Placement[] = [];
  const files: ExternalDataPlan['files'] = [];
  (model.proto.graph?.initializer ?? []).forEach((tensor, index) => {
    const byteLength = tensorProtoByteLength(tensor);
    if (!options || byteLength === undefined || byteLength < options.sizeThreshold || byteLength === 0) {
      placements.push({ index, tensor, byteLength: byteLength ?? 0, file: undefined, offset: 0 });
      return;
    }
    const align = alignmentFor(byteLength);
    let current = files.at(-1);
    let offset = current ? Math.ceil(current.byteLength / align) * align : 0;
    if (!current || (current.byteLength > 0 && offset + byteLength > options.maxFileBytes)) {
      current = { location: externalDataLocation(options.location, files.length), byteLength: 0 };
      files.push(current);
      offset = 0;
    }
    current.byteLength = offset + byteLength;
    placements.push({ index, tensor, byteLength, file: files.length - 1, offset });
  });
  return { placements, files };
}
