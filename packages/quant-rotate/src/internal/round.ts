/**
 * Round half to even, as `torch.round` (the reference quantizers of QuaRot/GPTQ) and ONNX
 * `QuantizeLinear` do. `Math.round` rounds halves up, which would bias codes at exact ties.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
