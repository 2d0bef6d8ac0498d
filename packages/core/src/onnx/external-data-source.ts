import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, normalize, resolve, sep } from 'node:path';
import { XError } from '../errors';

/**
 * Reads external-data byte ranges lazily: from files next to the model (one cached handle per file, so
 * no file is ever read whole), or from in-memory buffers keyed by location. Shared by a model, its clones
 * and the subgraphs extracted from it.
 */
export class ExternalDataSource {
  readonly baseDir: string | undefined;
  private readonly buffers: Map<string, Uint8Array>;
  private readonly handles = new Map<string, { fd: number; size: number }>();

  constructor(baseDir: string | undefined, buffers: Iterable<readonly [string, Uint8Array]> = []) {
    this.baseDir = baseDir;
    this.buffers = new Map([...buffers].map(([location, data]) => [normalizeLocation(location), data]));
  }

  /** Absolute path of a location on disk, or undefined when it is served from memory. */
  resolvePath(location: string, tensor?: string): string | undefined {
    const key = normalizeLocation(location);
    if (this.buffers.has(key)) return undefined;
    if (isAbsolute(location) || key.split(/[\\/]/).includes('..')) {
      throw new XError(
        'X_EXTERNAL_DATA',
        `initializer ${tensor ?? '?'}: external data location ${JSON.stringify(location)} escapes the model directory`,
        { details: { tensor, location } },
      );
    }
    if (this.baseDir === undefined) {
      throw new XError(
        'X_EXTERNAL_DATA',
        `initializer ${tensor ?? '?'} is stored in external file ${location}, but the model was parsed from bytes without baseDir or externalData`,
        { details: { tensor, location } },
      );
    }
    return resolve(this.baseDir, key);
  }

  /** Size in bytes of the file or buffer behind a location. Throws `X_EXTERNAL_DATA` when it is missing. */
  size(location: string, tensor?: string): number {
    const buffer = this.buffers.get(normalizeLocation(location));
    if (buffer) return buffer.byteLength;
    return this.open(location, tensor).size;
  }

  /** Reads `length` bytes at `offset` into a fresh, 8-byte-aligned buffer. */
  read(location: string, offset: number, length: number, tensor?: string): Uint8Array {
    const available = this.size(location, tensor);
    if (offset + length > available) {
      throw new XError(
        'X_EXTERNAL_DATA',
        `initializer ${tensor ?? '?'}: external data range [${offset}, ${offset + length}) lies beyond the end of ${location} (${available} bytes)`,
        { details: { tensor, location, offset, length, fileBytes: available } },
      );
    }
    const buffer = this.buffers.get(normalizeLocation(location));
    if (buffer) return new Uint8Array(buffer.subarray(offset, offset + length));
    const { fd } = this.open(location, tensor);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const read = readSync(fd, out, done, Math.min(length - done, 1 << 30), offset + done);
      if (read === 0) {
        throw new XError('X_EXTERNAL_DATA', `initializer ${tensor ?? '?'}: unexpected end of ${location}`, {
          details: { tensor, location },
        });
      }
      done += read;
    }
    return out;
  }

  /** Closes every cached file handle (they reopen on the next read). */
  close(): void {
    for (const { fd } of this.handles.values()) closeSync(fd);
    this.handles.clear();
  }

  private open(location: string, tensor?: string): { fd: number; size: number } {
    const path = this.resolvePath(location, tensor) as string;
    let handle = this.handles.get(path);
    if (!handle) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (error) {
        throw new XError(
          'X_EXTERNAL_DATA',
          `initializer ${tensor ?? '?'}: external data file ${location} cannot be opened (${path}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          { cause: error, details: { tensor, location, file: path } },
        );
      }
      handle = { fd, size: fstatSync(fd).size };
      this.handles.set(path, handle);
    }
    return handle;
  }
}

function normalizeLocation(location: string): string {
  return normalize(location).split(sep).join('/');
}
