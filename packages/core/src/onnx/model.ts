import { XError } from '../errors';
import type { Tensor } from '../tensor/tensor';
import { isExternal, readExternalDataInfo } from './external-data-info';
import { ExternalDataSource } from './external-data-source';
import { type InitializerInfo, listInitializers } from './list-initializers';
import { type ModelProto, onnx, type TensorProto } from './proto';
import { tensorProtoToTensor, tensorToTensorProto } from './tensor-proto';

const marker = Symbol.for('x.onnx-model');

/** An external-data file a model refers to: its location as written, and where it is on disk (if on disk). */
export interface ExternalDataFileRef {
  location: string;
  path: string | undefined;
}

/**
 * An ONNX model in memory: the decoded `onnx.ModelProto` plus where its external data lives.
 * Graph edits (`addGraphOutputs`, `insertNode`, ...) change `proto` in place; `clone()` first to keep
 * the original. External initializers are read lazily, one byte range at a time, through a shared
 * `ExternalDataSource` (call `close()` to release its file handles).
 */
export class OnnxModel {
  readonly [marker] = true;
  readonly proto: ModelProto;
  /** Directory external-data locations are resolved against. */
  readonly baseDir: string | undefined;
  /** The file the model was read from, if any (`writeModel` refuses to overwrite it). */
  readonly fileName: string | undefined;
  /** @internal Byte source for external initializers, shared with clones and extracted subgraphs. */
  readonly source: ExternalDataSource;

  constructor(
    proto: ModelProto,
    options: { baseDir?: string; fileName?: string; source?: ExternalDataSource } = {},
  ) {
    this.proto = proto;
    this.baseDir = options.baseDir ?? options.source?.baseDir;
    this.fileName = options.fileName;
    this.source = options.source ?? new ExternalDataSource(this.baseDir);
  }

  /** The initializer's TensorProto, or undefined. */
  findInitializer(name: string): TensorProto | undefined {
    return this.proto.graph?.initializer?.find((tensor) => tensor.name === name);
  }

  /**
   * The initializer as a tensor. Inline data is a zero-copy view where alignment allows (writing to it
   * edits the model); external data is read from its file on each call. Throws `X_GRAPH` for an unknown name.
   */
  getInitializer(name: string): Tensor {
    const tensor = this.findInitializer(name);
    if (!tensor) {
      throw new XError('X_GRAPH', `model has no initializer named ${name}`, {
        details: { initializer: name },
      });
    }
    return tensorProtoToTensor(tensor, this.source);
  }

  /** Replaces (keeping its position) or adds an initializer. The tensor's data is referenced, not copied. */
  setInitializer(name: string, tensor: Tensor): void {
    const graph = this.graph();
    const proto = tensorToTensorProto(name, tensor);
    const initializers = graph.initializer ?? [];
    const index = initializers.findIndex((existing) => existing.name === name);
    if (index === -1) initializers.push(proto);
    else {
      if (initializers[index].docString) proto.docString = initializers[index].docString;
      initializers[index] = proto;
    }
    graph.initializer = initializers;
  }

  /** Name, dtype, dims, byte size and location of every initializer, in graph order. */
  listInitializers(): InitializerInfo[] {
    return listInitializers(this);
  }

  /** The distinct external-data files the initializers use. */
  externalDataFiles(): ExternalDataFileRef[] {
    const seen = new Map<string, ExternalDataFileRef>();
    for (const tensor of this.proto.graph?.initializer ?? []) {
      if (!isExternal(tensor)) continue;
      const { location } = readExternalDataInfo(tensor);
      if (!seen.has(location))
        seen.set(location, { location, path: this.source.resolvePath(location, tensor.name ?? '') });
    }
    return [...seen.values()];
  }

  /**
   * A deep copy of the graph structure that shares tensor bytes and the external-data source, so edits to
   * the clone's graph or initializers never reach this model.
   */
  clone(): OnnxModel {
    const proto = onnx.ModelProto.fromObject(onnx.ModelProto.toObject(this.proto));
    return new OnnxModel(proto, { baseDir: this.baseDir, fileName: this.fileName, source: this.source });
  }

  /** Closes the cached external-data file handles (they reopen if needed). */
  close(): void {
    this.source.close();
  }

  /** The graph, created if the model has none yet. */
  graph(): NonNullable<ModelProto['graph']> {
    if (!this.proto.graph) this.proto.graph = onnx.GraphProto.create();
    return this.proto.graph;
  }
}

/** Structural check for an `OnnxModel` from any copy of @x/core. */
export function isOnnxModel(value: unknown): value is OnnxModel {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}
