export type { BuildDecoderModelOptions, DecoderForm } from './builder/build-decoder-model';
export { buildDecoderModel } from './builder/build-decoder-model';
export type { DecoderConfig } from './builder/decoder-config';
export type {
  CreateDecoderWeightsOptions,
  DecoderLayerWeights,
  DecoderWeights,
} from './builder/decoder-weights';
export { createDecoderWeights } from './builder/decoder-weights';
export type {
  ReferenceForwardOptions,
  ReferenceForwardResult,
  ReferenceKv,
  ReferenceTensor,
} from './builder/reference-forward';
export { referenceForward } from './builder/reference-forward';
export type { CoreErrorCode, ProgressCallback, ProgressEvent, XErrorOptions } from './errors';
export { isXError, throwIfAborted, XError } from './errors';
export type { Rng } from './rng';
export { createRng } from './rng';
