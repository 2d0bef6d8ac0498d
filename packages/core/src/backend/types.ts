import type { OnnxModel } from '../onnx/model';
import type { OrtTensorLike, Tensor } from '../tensor/tensor';
import type { OrtTensorModule } from '../tensor/to-ort';

/** The ONNX Runtime packages @x can drive. `web` is onnxruntime-web (WASM), which also runs in Node. */
export type BackendName = 'node' | 'web';

/** What `loadBackend` accepts: one backend, or an ordered preference tried until one loads. */
export type BackendRequest = BackendName | { prefer: readonly BackendName[] };

/** Structural view of an onnxruntime `InferenceSession` (either runtime, any copy of onnxruntime-common). */
export interface OrtInferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  readonly outputMetadata?: readonly OrtValueMetadata[];
  /** @x always passes the fetch names (ORT's `run(feeds, fetches)` overload). */
  run(
    feeds: Record<string, OrtTensorLike>,
    fetches: readonly string[],
  ): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** Metadata ORT reports per input/output: symbolic dims are strings. */
export interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/** Structural view of the onnxruntime module object (`import * as ort from 'onnxruntime-node' | 'onnxruntime-web'`). */
export interface OrtModule extends OrtTensorModule {
  InferenceSession: {
    create(model: string | Uint8Array, options?: Record<string, unknown>): Promise<OrtInferenceSession>;
  };
  env: {
    versions?: { common?: string; node?: string; web?: string };
    wasm?: { numThreads?: number };
  };
}

/** One external-data file handed to ORT: `path` equals the initializers' `location`. */
export interface ExternalDataFile {
  /** The location string as written in the model's initializers, e.g. `model.onnx_data`. */
  path: string;
  /** The file's bytes, or (Node only) its path on disk. */
  data: Uint8Array | string;
}

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionOptions {
  /**
   * Compute threads. node: `intraOpNumThreads` per session. web: `env.wasm.numThreads`, which is
   * process-wide and only takes effect before the first web session is created.
   * @defaultValue ORT's own default (all cores on node; min(4, ceil(cores/2)) on web)
   */
  threads?: number;
  /**
   * ORT graph optimizations. Use `'disabled'` or `'basic'` when fetching intermediate values, so fusions
   * keep their names.
   * @defaultValue `'all'`
   */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * External-data files. Only needed when opening a model from bytes (both backends) or on web from a
   * path when you want to override what @x finds in the model. For an `OnnxModel` or a path, @x supplies
   * them itself.
   */
  externalData?: readonly ExternalDataFile[];
  /** Passed to `InferenceSession.create` as is, after (and overriding) the options above. */
  ortOptions?: Record<string, unknown>;
}

/** Metadata of one session input or output. */
export interface ValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  /** ORT type name, e.g. `float32`, when the runtime reports it. */
  readonly type?: string;
  /** Dims; symbolic ones are strings such as `batch_size`. */
  readonly shape?: readonly (number | string)[];
}

/** An ORT inference session that speaks @x tensors. */
export interface Session {
  readonly backend: BackendName;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** Runs the model. `fetches` defaults to every output; only graph outputs can be fetched. */
  run(feeds: Record<string, Tensor>, fetches?: readonly string[]): Promise<Record<string, Tensor>>;
  /** Frees the native session. The session cannot run afterwards. */
  release(): Promise<void>;
}

/** A loaded ONNX Runtime. */
export interface Backend {
  readonly name: BackendName;
  /** The runtime's module object, for anything @x does not wrap. */
  readonly ort: OrtModule;
  /** Opens a model from a file path, its bytes, or an in-memory `OnnxModel`. */
  createSession(model: string | Uint8Array | OnnxModel, options?: SessionOptions): Promise<Session>;
}
