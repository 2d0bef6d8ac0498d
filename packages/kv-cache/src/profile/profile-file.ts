import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { KvCacheError } from '../errors';
import type { ModelFingerprint } from './fingerprint';

/** `KV_PROFILE_INVALID` naming the file and what is wrong. */
export function invalidProfile(file: string, message: string, cause?: unknown): KvCacheError {
  return new KvCacheError('KV_PROFILE_INVALID', `${file}: ${message}`, { cause, details: { file } });
}

/** Parses JSON text of a profile file (`KV_PROFILE_INVALID` when it is not JSON). */
export function parseProfileText(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidProfile(file, `not JSON (${(error as Error).message})`, error);
  }
}

export async function readProfileJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw invalidProfile(file, `cannot read (${(error as Error).message})`, error);
  });
  return parseProfileText(file, text);
}

export function readProfileJsonSync(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw invalidProfile(file, `cannot read (${(error as Error).message})`, error);
  }
  return parseProfileText(file, text);
}

/** Writes `value` as JSON atomically (a temporary file renamed over the target). */
export async function writeProfileJson(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 1)}\n`, 'utf8');
  await rename(temporary, file);
}

/** Checks a parsed profile's `format` and `fingerprint` fields; returns the object. */
export function checkProfileHeader(
  file: string,
  value: unknown,
  format: string,
): Record<string, unknown> & { fingerprint: ModelFingerprint } {
  if (typeof value !== 'object' || value === null) throw invalidProfile(file, 'not a JSON object');
  const record = value as Record<string, unknown>;
  if (record.format !== format) {
    throw invalidProfile(
      file,
      `format is ${JSON.stringify(record.format)}, expected ${JSON.stringify(format)}`,
    );
  }
  const fingerprint = record.fingerprint as Record<string, unknown> | undefined;
  const numeric = ['numLayers', 'numHeads', 'numKvHeads', 'headDim', 'vocabSize'];
  if (
    typeof fingerprint !== 'object' ||
    fingerprint === null ||
    numeric.some((key) => !Number.isInteger(fingerprint[key])) ||
    typeof fingerprint.weightsHash !== 'string'
  ) {
    throw invalidProfile(file, 'fingerprint is missing or malformed');
  }
  return record as Record<string, unknown> & { fingerprint: ModelFingerprint };
}

/** True for an array of `length` arrays of numbers. */
export function isNumberTable(value: unknown, length: number): value is number[][] {
  return (
    Array.isArray(value) &&
    value.length === length &&
    value.every((row) => Array.isArray(row) && row.every((entry) => typeof entry === 'number'))
  );
}
