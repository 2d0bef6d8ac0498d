/**
 * @x/quant-rotate: rotation-based quantization for transformer decoders (QuaRot, SpinQuant, DartQuant)
 * over plain typed arrays: Hadamard and learned rotations, RMSNorm/rotation folding, RTN/GPTQ weight
 * quantization packed for ONNX Runtime's MatMulNBits, and activation/KV fake quantization.
 */

export type { R1CalibrationResult } from './dartquant/calibrate-r1';
export { calibrateR1 } from './dartquant/calibrate-r1';
export type { R2CalibrationOptions } from './dartquant/calibrate-r2';
export { calibrateR2 } from './dartquant/calibrate-r2';
export { qrOrthBackward } from './dartquant/qr-orth-backward';
export { qrOrthBackwardKernels } from './dartquant/qr-orth-backward-kernels';
export type {
  ResolvedWhipTrainingOptions,
  RotationInit,
  WhipTrainingControl,
  WhipTrainingOptions,
  WhipTrainingResult,
} from './dartquant/train-whip-rotations';
// dartquant/
export type { WhipEvaluation } from './dartquant/whip-loss';
export { evaluateWhip, whipLoss } from './dartquant/whip-loss';
export type { WhipKernelOptions } from './dartquant/whip-loss-kernels';
export { evaluateWhipKernels } from './dartquant/whip-loss-kernels';
export type { QuantErrorCode } from './errors';
export { isQuantError, QuantError } from './errors';
// fold/
export type { FoldRmsNormOptions } from './fold/fold-rms-norm';
export { foldRmsNormWeight } from './fold/fold-rms-norm';
export type { RotateHeadsOptions } from './fold/rotate-heads';
export { rotateHeadsInput, rotateHeadsOutput } from './fold/rotate-heads';
export type { RotateLinearOptions } from './fold/rotate-linear';
export { rotateEmbedding, rotateLinearInput, rotateLinearOutput } from './fold/rotate-linear';
// linalg/ (used by the methods; exported for users checking orthogonality or building their own)
export type { QrResult } from './linalg/householder-qr';
export { householderQr } from './linalg/householder-qr';
export type { CalibrationFileOptions } from './model/calibration-file';
export { loadCalibrationFile } from './model/calibration-file';
export type { QuantizeModelFolderOptions, QuantizeModelFolderResult } from './model/quantize-model-folder';
export { quantizeModelFolder } from './model/quantize-model-folder';
export type { DartQuantReport } from './pipeline/learn-dartquant-rotations';
export type { QuantizeModelReport, QuantizeModelResult } from './pipeline/quantize-model';
export { quantizeModel } from './pipeline/quantize-model';
// pipeline (ONNX models through @x/core)
export type {
  QuantizeModelOptions,
  ResolvedQuantizeModelOptions,
  RotationMethod,
} from './pipeline/quantize-model-options';
export { resolveQuantizeModelOptions } from './pipeline/quantize-model-options';
export { dequantizeWeight } from './quant/dequantize-weight';
export type {
  ActivationQuantOptions,
  ResolvedActivationQuantOptions,
} from './quant/fake-quantize-activations';
export { fakeQuantizeActivations, resolveActivationQuantOptions } from './quant/fake-quantize-activations';
export type { KvQuantOptions } from './quant/fake-quantize-kv';
export { fakeQuantizeKv } from './quant/fake-quantize-kv';
export type { GptqOptions, GptqResult, ResolvedGptqOptions } from './quant/gptq';
export { quantizeGptq, resolveGptqOptions } from './quant/gptq';
export type { HessianAccumulator } from './quant/hessian';
export { createHessianAccumulator } from './quant/hessian';
export type { MatMulNBitsWeights, PackMatMulNBitsOptions } from './quant/matmul-nbits';
export { dequantizeMatMulNBits, packMatMulNBits, unpackMatMulNBits } from './quant/matmul-nbits';
// quant/
export type { QuantizedWeight } from './quant/quantized-weight';
export type { RtnResult } from './quant/rtn';
export { quantizeRtn } from './quant/rtn';
export type { ResolvedWeightQuantOptions, WeightQuantOptions } from './quant/weight-options';
export { resolveWeightQuantOptions } from './quant/weight-options';
export { applyHadamard } from './rotation/apply-hadamard';
export { createHadamard } from './rotation/hadamard';
// rotation/
export type { HadamardFactors } from './rotation/hadamard-factors';
export { factorHadamard, listHadamardOrders } from './rotation/hadamard-factors';
export type { RandomHadamardOptions, RandomHadamardResult } from './rotation/random-hadamard';
export { createRandomHadamard } from './rotation/random-hadamard';
export type { RandomOrthogonalOptions } from './rotation/random-orthogonal';
export { createRandomOrthogonal } from './rotation/random-orthogonal';
export type { EmbeddingQuantReport } from './transform/quantize-embedding';
export type { ProjectionQuantReport } from './transform/quantize-projections';
export type { FloatArray, Matrix, WeightLayout } from './types';
