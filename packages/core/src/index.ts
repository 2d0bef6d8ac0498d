export type { CoreErrorCode, ProgressCallback, ProgressEvent, XErrorOptions } from './errors';
export { isXError, throwIfAborted, XError } from './errors';
export type { Rng } from './rng';
export { createRng } from './rng';
