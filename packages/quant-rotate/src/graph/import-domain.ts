import { type OnnxModel, onnx } from '@x/core';

/**
 * Adds `domain` at `version` to the model's opset imports unless it is imported already. The nodes this package
 * writes (`com.microsoft.MatMulNBits`, `GatherBlockQuantized`) need it: a torch.onnx export imports only ai.onnx,
 * and ONNX checkers (and @x/core's `readModel`) refuse a node whose domain the model does not import.
 */
export function importDomain(model: OnnxModel, domain: string, version: number): void {
  const imports = model.proto.opsetImport ?? [];
  if (imports.some((opset) => (opset.domain ?? '') === domain)) return;
  imports.push(onnx.OperatorSetIdProto.create({ domain, version }));
  model.proto.opsetImport = imports;
}
