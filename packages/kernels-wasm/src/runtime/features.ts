/**
 * Engine feature probes: tiny hand-assembled modules passed to `WebAssembly.validate`, the way
 * onnxruntime-web picks its build (sparse-attn-kernels.md §12.3). A module with any relaxed-SIMD
 * instruction fails validation where the engine lacks it (Node 20 without a flag).
 */
const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// Type section: one type () -> v128. Function section: one function of type 0.
const typeAndFunction = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00];
const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];

function moduleWithBody(body: number[]): Uint8Array<ArrayBuffer> {
  const code = [0x01, body.length, ...body];
  return new Uint8Array([...header, ...typeAndFunction, 0x0a, code.length, ...code]);
}

/** v128.const 0 */
const simdProbe = moduleWithBody([0x00, ...v128Zero, 0x0b]);
/** f32x4.relaxed_madd(0, 0, 0): opcode 0xfd 0x105 (LEB128 0x85 0x02). */
const relaxedProbe = moduleWithBody([0x00, ...v128Zero, ...v128Zero, ...v128Zero, 0xfd, 0x85, 0x02, 0x0b]);

let simd: boolean | undefined;
let relaxed: boolean | undefined;

export function hasWasmSimd(): boolean {
  simd ??= typeof WebAssembly === 'object' && WebAssembly.validate(simdProbe);
  return simd;
}

export function hasRelaxedSimd(): boolean {
  relaxed ??= hasWasmSimd() && WebAssembly.validate(relaxedProbe);
  return relaxed;
}

/** Shared linear memory (workers over one memory) needs SharedArrayBuffer and a shared Memory. */
export function hasSharedMemory(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return memory.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}
