import { createRng } from '@x/core';
import { describe, expect, it } from 'vitest';
import { isQuantError } from '../errors';
import { caught, randomMatrix } from '../internal/test-helpers';
import type { Matrix } from '../types';
import { dequantizeWeight } from './dequantize-weight';
import { quantizeGptq } from './gptq';
import { createHessianAccumulator } from './hessian';
import { quantizeRtn } from './rtn';

/** Correlated calibration inputs: x = z A with a random mixing A, plus a few large channels. */
function correlatedInputs(tokens: number, k: number, seed: number): Matrix<Float64Array> {
  const rng = createRng(seed);
  const mix = randomMatrix(k, k, seed + 1).data;
  const data = new Float64Array(tokens * k);
  const z = new Float64Array(k);
  for (let t = 0; t < tokens; t++) {
    for (let i = 0; i < k; i++) z[i] = rng.normal() * (i % 7 === 0 ? 4 : 1);
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += z[i] * mix[i * k + j] * (i === j ? 3 : 0.3);
      data[t * k + j] = s;
    }
  }
  return { rows: tokens, cols: k, data };
}

/** ‖(W − Ŵ) Xᵀ‖²: the layer output error GPTQ minimises. */
function outputError(w: Matrix, deq: ArrayLike<number>, x: Matrix): number {
  let e = 0;
  for (let t = 0; t < x.rows; t++) {
    for (let r = 0; r < w.rows; r++) {
      let s = 0;
      for (let c = 0; c < w.cols; c++)
        s += (w.data[r * w.cols + c] - deq[r * w.cols + c]) * x.data[t * x.cols + c];
      e += s * s;
    }
  }
  return e;
}

function hessianOf(x: Matrix): Matrix<Float64Array> {
  const acc = createHessianAccumulator(x.cols);
  acc.add({ rows: x.rows / 2, cols: x.cols, data: x.data.subarray(0, (x.rows / 2) * x.cols) });
  acc.add({ rows: x.rows / 2, cols: x.cols, data: x.data.subarray((x.rows / 2) * x.cols) });
  expect(acc.tokens).toBe(x.rows);
  return acc.hessian();
}

describe('createHessianAccumulator', () => {
  it('equals (2/T) Σ xᵀx computed naively, across batches of any size (blocked accumulation)', () => {
    const k = 9;
    const x = randomMatrix(150, k, 4);
    const acc = createHessianAccumulator(k);
    acc.add({ rows: 70, cols: k, data: x.data.subarray(0, 70 * k) });
    acc.add({ rows: 80, cols: k, data: Float32Array.from(x.data.subarray(70 * k)) });
    const h = acc.hessian().data;
    const fed = (t: number, i: number) => (t < 70 ? x.data[t * k + i] : Math.fround(x.data[t * k + i]));
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let t = 0; t < 150; t++) s += fed(t, i) * fed(t, j);
        expect(h[i * k + j]).toBeCloseTo((2 * s) / 150, 12);
      }
    }
  });
});

describe('quantizeGptq', () => {
  const k = 48;
  const x = correlatedInputs(256, k, 11);
  const w = randomMatrix(12, k, 12);
  const h = hessianOf(x);

  it.each([
    { bits: 4, actOrder: false, groupSize: 0 },
    { bits: 3, actOrder: true, groupSize: 0 },
    { bits: 4, actOrder: false, groupSize: 16 },
    { bits: 4, actOrder: true, groupSize: 16, symmetric: false },
  ])('beats RTN on the layer output error on correlated data (%o)', (options) => {
    const rtn = dequantizeWeight(quantizeRtn(w, options).quantized).data;
    const result = quantizeGptq(w, h, { ...options, blockSize: 16 });
    const gptq = dequantizeWeight(result.quantized).data;
    expect(outputError(w, gptq, x)).toBeLessThan(0.8 * outputError(w, rtn, x));
    expect(result.options).toMatchObject({ damping: 0.01, blockSize: 16, ...options });
  });

  it('its loss Σ(w−q)²/U_ii²/2 equals ½ Σ_r Δ_r H_damped Δ_rᵀ (the OBS identity), with act order too', () => {
    for (const actOrder of [false, true]) {
      const result = quantizeGptq(w, h, { bits: 4, actOrder, blockSize: 8 });
      const deq = dequantizeWeight(result.quantized).data;
      let mean = 0;
      for (let i = 0; i < k; i++) mean += h.data[i * k + i] / k;
      let quadratic = 0;
      for (let r = 0; r < w.rows; r++) {
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            const hij = h.data[i * k + j] + (i === j ? 0.01 * mean : 0);
            quadratic += (deq[r * k + i] - w.data[r * k + i]) * hij * (deq[r * k + j] - w.data[r * k + j]);
          }
        }
      }
      expect(result.loss).toBeGreaterThan(0);
      expect(Math.abs(result.loss - quadratic / 2) / result.loss).toBeLessThan(1e-9);
    }
  });

  it('reduces to RTN when H is diagonal (no error to propagate)', () => {
    const diagonal = new Float64Array(k * k);
    for (let i = 0; i < k; i++) diagonal[i * k + i] = 1 + i;
    const gptq = quantizeGptq(w, { rows: k, cols: k, data: diagonal }, { bits: 4, groupSize: 16 }).quantized;
    const rtn = quantizeRtn(w, { bits: 4, groupSize: 16 }).quantized;
    expect(gptq.codes).toEqual(rtn.codes);
    expect(gptq.scales).toEqual(rtn.scales);
  });

  it('zeroes dead input channels, reports progress per block and honours the abort signal', () => {
    const dead = Float64Array.from(h.data);
    for (let j = 0; j < k; j++) {
      dead[3 * k + j] = 0;
      dead[j * k + 3] = 0;
    }
    const events: number[] = [];
    const result = quantizeGptq(
      w,
      { rows: k, cols: k, data: dead },
      {
        blockSize: 16,
        onProgress: (e) => events.push(e.done),
      },
    );
    const deq = dequantizeWeight(result.quantized).data;
    for (let r = 0; r < w.rows; r++) expect(deq[r * k + 3]).toBe(0);
    expect(events).toEqual([1, 2, 3]);
    const controller = new AbortController();
    controller.abort();
    const error = caught(() => quantizeGptq(w, h, { signal: controller.signal }));
    expect(isQuantError(error)).toBe(false);
    expect((error as { code?: string }).code).toBe('X_ABORTED');
  });

  it('rejects a Hessian of the wrong size and a non-PD one', () => {
    const wrong = caught(() => quantizeGptq(w, { rows: 4, cols: 4, data: new Float64Array(16) }));
    expect(isQuantError(wrong) && wrong.code).toBe('QUANT_SHAPE_MISMATCH');
    const negative = new Float64Array(k * k);
    for (let i = 0; i < k; i++) negative[i * k + i] = i === 0 ? 1 : -1;
    const npd = caught(() => quantizeGptq(w, { rows: k, cols: k, data: negative }, { damping: 0 }));
    expect(isQuantError(npd) && npd.code).toBe('QUANT_NOT_POSITIVE_DEFINITE');
  });
});
