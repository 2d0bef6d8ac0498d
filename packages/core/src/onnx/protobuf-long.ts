import { createRequire } from 'node:module';

/**
 * protobufjs 6 (under onnx-proto) finds its 64-bit `Long` class by `require('long')` from an unrelated
 * module. When `require` runs with the `import` condition (vitest passes its resolve conditions to Node),
 * that resolves long@5's ESM build, hands back a namespace object, and onnx-proto crashes while loading
 * ("$util.Long.fromBits is not a function"). Before onnx-proto loads, point protobufjs at the CommonJS
 * long@4 it depends on. Outside Node (bundlers) this is a no-op.
 */
function repairProtobufLong(): boolean {
  try {
    const requireHere = createRequire(import.meta.url);
    const requireProtobuf = createRequire(requireHere.resolve('onnx-proto'));
    const protobuf = requireProtobuf('protobufjs/minimal');
    const long = protobuf.util.Long;
    if (long && typeof long.fromBits === 'function') return true;
    const requireLong = createRequire(requireProtobuf.resolve('protobufjs/minimal'));
    const fixed = requireLong('long');
    const Long = typeof fixed?.fromBits === 'function' ? fixed : fixed?.default;
    if (typeof Long?.fromBits !== 'function') return false;
    protobuf.util.Long = Long;
    protobuf.configure();
    return true;
  } catch {
    return false;
  }
}

export const protobufLongReady: boolean = repairProtobufLong();
