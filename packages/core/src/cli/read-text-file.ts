import { readFile } from 'node:fs/promises';
import { XError } from '../errors';

/** Reads a UTF-8 text file; `X_EVAL` naming the file and the flag when it cannot. */
export async function readTextFile(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new XError('X_EVAL', `cannot read --${flag} file ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { file: path, option: flag },
    });
  }
}
