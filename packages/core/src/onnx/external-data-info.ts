import { XError } from '../errors';
import { DATA_LOCATION_EXTERNAL, type TensorProto } from './proto';

/** Where an initializer's bytes live when `data_location` is EXTERNAL (onnx.proto `external_data` keys). */
export interface ExternalDataInfo {
  /** File path relative to the model's directory, as written in the model. */
  location: string;
  /** Byte offset in that file. @defaultValue 0 */
  offset: number;
  /** Byte length; undefined when the model leaves it out (then it is the tensor's computed size). */
  length: number | undefined;
}

/** True when the tensor's data is stored outside the protobuf. */
export function isExternal(tensor: TensorProto): boolean {
  return tensor.dataLocation === DATA_LOCATION_EXTERNAL;
}

/** Parses `external_data` of a tensor, naming the tensor when an entry is malformed. */
export function readExternalDataInfo(tensor: TensorProto): ExternalDataInfo {
  let location: string | undefined;
  let offset = 0;
  let length: number | undefined;
  for (const entry of tensor.externalData ?? []) {
    const value = entry.value ?? '';
    if (entry.key === 'location') location = value;
    else if (entry.key === 'offset' || entry.key === 'length') {
      const number = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(number)) {
        throw new XError(
          'X_EXTERNAL_DATA',
          `initializer ${tensor.name}: external_data ${entry.key} is ${JSON.stringify(value)}, not a byte count`,
          {
            details: { tensor: tensor.name, key: entry.key, value },
          },
        );
      }
      if (entry.key === 'offset') offset = number;
      else length = number;
    }
  }
  if (!location) {
    throw new XError(
      'X_EXTERNAL_DATA',
      `initializer ${tensor.name} is stored externally but names no location`,
      {
        details: { tensor: tensor.name },
      },
    );
  }
  return { location, offset, length };
}

/** The `external_data` entries for a placement (offset and length always written, as onnx does). */
export function externalDataEntries(info: {
  location: string;
  offset: number;
  length: number;
}): { key: string; value: string }[] {
  return [
    { key: 'location', value: info.location },
    { key: 'offset', value: String(info.offset) },
    { key: 'length', value: String(info.length) },
  ];
}
