// Workaround (test-only): under vitest, protobufjs' `util.inquire('long')` (used by onnx-proto, which @x/core
// imports) picks up the hoisted long@5 as an ES-module namespace, and onnx-proto then fails at load with
// "$util.Long.fromBits is not a function". protobufjs checks `globalThis.dcodeIO.Long` first, so hand it the
// CommonJS long that protobufjs itself depends on. Remove once @x/core or the shared preset fixes this.
import { createRequire } from 'node:module';

const globals = globalThis as { dcodeIO?: { Long?: unknown } };
if (!globals.dcodeIO?.Long) {
  try {
    const requireFromCore = createRequire(new URL('../../../core/package.json', import.meta.url));
    const requireFromProto = createRequire(requireFromCore.resolve('onnx-proto'));
    const requireFromProtobuf = createRequire(requireFromProto.resolve('protobufjs/minimal'));
    globals.dcodeIO = { ...globals.dcodeIO, Long: requireFromProtobuf('long') };
  } catch {
    // onnx-proto not installed: nothing to fix.
  }
}
