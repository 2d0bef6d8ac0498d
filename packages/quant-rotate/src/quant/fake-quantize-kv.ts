/**
 * K/V cache fake quantization (QuaRot/SpinQuant/DartQuant; brief §7.4): per token and per head, i.e.
 * the activation quantizer with one group per head (groupsize = head_dim). K is quantized after RoPE
 * and the online R3 Hadamard; V at the v_proj output. Defaults: 4-bit asymmetric, clip 0.95 (the
 * paper K/V setting; SpinQuant issue #5).
 */
import { QuantError } from '../errors';
import { assertMatrix } from '../internal/validate';
import type { FloatArray, Matrix } from '../types';
import {
  fakeQuantizeRows,
  type ResolvedActivationQuantOptions,
  resolveActivationQuantOptions,
} from './fake-quantize-activations';

export interface KvQuantOptions {
  /** Channels per head; the row length must be a multiple of it. Required. */
  headDim: number;
  /** Bits per value, 2..8. @defaultValue 4 */
  bits?: number;
  /** @defaultValue false */
  symmetric?: boolean;
  /** @defaultValue 0.95 */
  clipRatio?: number;
}

/** Quantize-dequantize K or V rows `[tokens, heads · headDim]`, one grid per (token, head). */
export function fakeQuantizeKv<T extends FloatArray>(x: Matrix<T>, options: KvQuantOptions): Matrix<T> {
  assertMatrix(x, 'x');
  if (options === undefined || !Number.isInteger(options.headDim) || options.headDim < 1) {
    throw new QuantError('QUANT_INVALID_OPTION', 'fakeQuantizeKv: headDim must be a positive integer', {
      details: { option: 'headDim', value: options?.headDim },
    });
  }
  const defaults: ResolvedActivationQuantOptions = {
    bits: 4,
    symmetric: false,
    groupSize: options.headDim,
    clipRatio: 0.95,
  };
  const resolved = resolveActivationQuantOptions(
    {
      bits: options.bits,
      symmetric: options.symmetric,
      clipRatio: options.clipRatio,
      groupSize: options.headDim,
    },
    x.cols,
    defaults,
  );
  return fakeQuantizeRows(x, resolved);
}
