export { findDecoderAnatomy } from './anatomy/find-decoder-anatomy';
export type {
  AttentionAnatomy,
  AttentionKind,
  DecoderAnatomy,
  DecoderIo,
  EmbeddingAnatomy,
  KvNames,
  LayerAnatomy,
  LmHeadAnatomy,
  MlpActivation,
  NormAnatomy,
  NormKind,
  ProjectionAnatomy,
  ProjectionOp,
  RotaryAnatomy,
  RotaryKind,
} from './anatomy/types';
export { createBackend } from './backend/create-backend';
export { BACKEND_PACKAGES, loadBackend } from './backend/load-backend';
export type {
  Backend,
  BackendName,
  BackendRequest,
  ExternalDataFile,
  GraphOptimizationLevel,
  OrtInferenceSession,
  OrtModule,
  OrtValueMetadata,
  Session,
  SessionOptions,
  ValueMetadata,
} from './backend/types';
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
} from './builder/reference-forward';
export { referenceForward } from './builder/reference-forward';
export type { ProgressStream } from './cli/progress-bar';
export { createProgressBar } from './cli/progress-bar';
export { runCommandLine } from './cli/run-command-line';
export type { CoreErrorCode, ProgressCallback, ProgressEvent, XErrorOptions } from './errors';
export { isXError, throwIfAborted, XError } from './errors';
export type { CalibrationOptions, CalibrationSet, ResolvedCalibrationOptions } from './eval/calibration';
export { sampleCalibrationSet } from './eval/calibration';
export { loadCalibrationFile } from './eval/calibration-file';
export { sumNextTokenNll } from './eval/next-token-nll';
export type {
  CreatePasskeyTrialsOptions,
  EvaluatePasskeyOptions,
  PasskeyResult,
  PasskeyTrialResult,
} from './eval/passkey';
export { createPasskeyTrials, evaluatePasskey } from './eval/passkey';
export type { PasskeyFormat } from './eval/passkey-format';
export { PASSKEY_FORMAT, parsePasskeyFormat } from './eval/passkey-format';
export type { PasskeyPrompt, PasskeyTrial } from './eval/passkey-prompt';
export { buildPasskeyPrompt } from './eval/passkey-prompt';
export { evaluatePerplexity, resolvePerplexityOptions } from './eval/perplexity';
export type { PerplexityOptions, PerplexityResult, ResolvedPerplexityOptions } from './eval/perplexity-types';
export type { CreateTaskPromptsOptions, TaskCategory, TaskPrompt } from './eval/task-prompts';
export { createTaskPrompts, TASK_CATEGORIES } from './eval/task-prompts';
export { generate } from './generate/generate';
export { resolveGenerateOptions } from './generate/resolve-generate-options';
export type { SamplingSettings } from './generate/select-token';
export { applyRepetitionPenalty, argmax, sampleToken } from './generate/select-token';
export type { GenerateOptions, GenerateResult, ResolvedGenerateOptions } from './generate/types';
export { dataTypeName, dataTypeToDtype, dtypeToDataType } from './onnx/data-type';
export type { AddGraphOutputsOptions } from './onnx/edit/add-graph-outputs';
export { addGraphOutputs } from './onnx/edit/add-graph-outputs';
export type { AttributeValue } from './onnx/edit/attribute';
export { createAttribute } from './onnx/edit/attribute';
export type {
  CheckTopologicalOrderOptions,
  TopologicalOrderResult,
} from './onnx/edit/check-topological-order';
export { checkTopologicalOrder } from './onnx/edit/check-topological-order';
export { graphInputsNeeded } from './onnx/edit/graph-inputs-needed';
export type { InsertNodeOptions, NodeSpec } from './onnx/edit/insert-node';
export { importOpset, insertNode } from './onnx/edit/insert-node';
export type { PruneDeadNodesResult } from './onnx/edit/prune-dead-nodes';
export { pruneDeadNodes } from './onnx/edit/prune-dead-nodes';
export type { RemoveNodeOptions } from './onnx/edit/remove-node';
export { removeNode } from './onnx/edit/remove-node';
export { renameValue } from './onnx/edit/rename-value';
export { sortTopologically } from './onnx/edit/sort-topologically';
export type { ValueType } from './onnx/edit/value-info';
export { createValueInfo, findValueInfo } from './onnx/edit/value-info';
export type { ExtractSubgraphOptions } from './onnx/extract-subgraph';
export { extractSubgraph } from './onnx/extract-subgraph';
export type { InitializerInfo } from './onnx/list-initializers';
export type { ExternalDataFileRef } from './onnx/model';
export { isOnnxModel, OnnxModel } from './onnx/model';
export type { ExternalDataOptions, ResolvedExternalDataOptions } from './onnx/plan-external-data';
export type {
  AttributeProto,
  GraphProto,
  ModelProto,
  NodeProto,
  TensorProto,
  ValueInfoProto,
} from './onnx/proto';
export { onnx } from './onnx/proto';
export type { ParseModelOptions, ReadModelOptions } from './onnx/read-model';
export { parseModel, readModel } from './onnx/read-model';
export type { SerializedModel } from './onnx/serialize-for-session';
export { serializeForSession } from './onnx/serialize-for-session';
export type { ResolvedWriteModelOptions, WriteModelOptions, WriteModelResult } from './onnx/write-model';
export { writeModel } from './onnx/write-model';
export type { Rng } from './rng';
export { createRng } from './rng';
export type { TensorValues } from './tensor/create-tensor';
export { createTensor } from './tensor/create-tensor';
export type { Dtype, TensorDataMap } from './tensor/dtype';
export { DTYPES, dtypeByteLength, isDtype } from './tensor/dtype';
export {
  float16BitsToFloat32,
  float16ToFloat32,
  float32ToFloat16,
  float32ToFloat16Bits,
} from './tensor/float16';
export { fromOrt } from './tensor/from-ort';
export { packInt4, unpackInt4 } from './tensor/int4';
export { reshape } from './tensor/reshape';
export { sliceAxis } from './tensor/slice-axis';
export type { OrtTensorLike, Tensor } from './tensor/tensor';
export { tensorSize } from './tensor/tensor-size';
export type { OrtTensorModule } from './tensor/to-ort';
export { assertTensor, toOrt } from './tensor/to-ort';
export { createTokenizer } from './tokenizer/create-tokenizer';
export { loadTokenizer } from './tokenizer/load-tokenizer';
export type { DecodeOptions, EncodeOptions, TextTokenizer } from './tokenizer/types';
