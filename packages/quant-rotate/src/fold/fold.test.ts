/**
 * Function preservation of norm folding + rotation fusion on a tiny random Llama-style decoder block
 * written in plain TS (fp64): embeddings, RMSNorm, GQA attention with RoPE, SwiGLU MLP, final norm,
 * lm_head. Transform as QuaRot/SpinQuant/DartQuant do (brief §7.1-7.2): fold γ, fuse R1 (all weights),
 * R2 (v/o per KV head), R4 (online Hadamard of order 12 before down_proj, inverse folded), R3 (online
 * Hadamard on Q and K after RoPE). The logits must not change.
 */
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, naiveTranspose, randomMatrix } from '../internal/test-helpers';
import { applyHadamard } from '../rotation/apply-hadamard';
import { createHadamard } from '../rotation/hadamard';
import { createRandomHadamard } from '../rotation/random-hadamard';
import { createRandomOrthogonal } from '../rotation/random-orthogonal';
import type { Matrix } from '../types';
import { foldRmsNormWeight } from './fold-rms-norm';
import { rotateHeadsInput, rotateHeadsOutput } from './rotate-heads';
import { rotateEmbedding, rotateLinearInput, rotateLinearOutput } from './rotate-linear';

const d = 8;
const heads = 4;
const kvHeads = 2;
const hd = 4;
const dff = 12;
const vocab = 10;
const eps = 1e-6;

interface Block {
  embed: Matrix;
  gamma1: Float64Array;
  gamma2: Float64Array;
  gammaF: Float64Array;
  wq: Matrix;
  wk: Matrix;
  wv: Matrix;
  wo: Matrix;
  wg: Matrix;
  wu: Matrix;
  wd: Matrix;
  lm: Matrix;
  /** Online transforms (identity when absent). */
  r3?: boolean;
  r4?: boolean;
}

/** y = x Wᵀ for W [out, in]. */
function linear(x: Float64Array, t: number, w: Matrix): Float64Array {
  const y = new Float64Array(t * w.rows);
  for (let i = 0; i < t; i++)
    for (let o = 0; o < w.rows; o++) {
      let s = 0;
      for (let c = 0; c < w.cols; c++) s += x[i * w.cols + c] * w.data[o * w.cols + c];
      y[i * w.rows + o] = s;
    }
  return y;
}

function rmsNorm(x: Float64Array, t: number, gamma: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < t; i++) {
    let ss = 0;
    for (let c = 0; c < d; c++) ss += x[i * d + c] ** 2;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let c = 0; c < d; c++) y[i * d + c] = x[i * d + c] * inv * gamma[c];
  }
  return y;
}

function rope(x: Float64Array, t: number, n: number): void {
  for (let p = 0; p < t; p++)
    for (let h = 0; h < n; h++)
      for (let i = 0; i < hd / 2; i++) {
        const angle = p * 10000 ** (-(2 * i) / hd);
        const a = p * n * hd + h * hd + i;
        const b = a + hd / 2;
        const [xa, xb] = [x[a], x[b]];
        x[a] = xa * Math.cos(angle) - xb * Math.sin(angle);
        x[b] = xa * Math.sin(angle) + xb * Math.cos(angle);
      }
}

function hadamardRows(x: Float64Array, rows: number, cols: number): Float64Array {
  return applyHadamard({ rows, cols, data: x }).data;
}

function forward(m: Block, tokens: number[]): Float64Array {
  const t = tokens.length;
  let h: Float64Array = new Float64Array(t * d);
  tokens.forEach((tok, i) => {
    h.set(m.embed.data.subarray(tok * d, tok * d + d), i * d);
  });
  const a = rmsNorm(h, t, m.gamma1);
  let q = linear(a, t, m.wq);
  let k = linear(a, t, m.wk);
  const v = linear(a, t, m.wv);
  rope(q, t, heads);
  rope(k, t, kvHeads);
  if (m.r3) {
    q = hadamardRows(q, t * heads, hd);
    k = hadamardRows(k, t * kvHeads, hd);
  }
  const ctx = new Float64Array(t * heads * hd);
  for (let head = 0; head < heads; head++) {
    const kv = Math.floor(head / (heads / kvHeads));
    for (let i = 0; i < t; i++) {
      const scores = [];
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let c = 0; c < hd; c++)
          s += q[i * heads * hd + head * hd + c] * k[j * kvHeads * hd + kv * hd + c];
        scores.push(s / Math.sqrt(hd));
      }
      const max = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - max));
      const z = e.reduce((x, y) => x + y, 0);
      for (let j = 0; j <= i; j++)
        for (let c = 0; c < hd; c++)
          ctx[i * heads * hd + head * hd + c] += (e[j] / z) * v[j * kvHeads * hd + kv * hd + c];
    }
  }
  const o = linear(ctx, t, m.wo);
  h = h.map((x, i) => x + o[i]);
  const b = rmsNorm(h, t, m.gamma2);
  const g = linear(b, t, m.wg);
  const u = linear(b, t, m.wu);
  let z: Float64Array = g.map((x, i) => (x / (1 + Math.exp(-x))) * u[i]);
  if (m.r4) z = hadamardRows(z, t, dff);
  const down = linear(z, t, m.wd);
  h = h.map((x, i) => x + down[i]);
  return linear(rmsNorm(h, t, m.gammaF), t, m.lm);
}

function randomBlock(): Block {
  const gamma = (seed: number) => randomMatrix(1, d, seed).data.map((x) => 1 + 0.3 * x);
  return {
    embed: randomMatrix(vocab, d, 1),
    gamma1: gamma(2),
    gamma2: gamma(3),
    gammaF: gamma(4),
    wq: randomMatrix(heads * hd, d, 5, 0.5),
    wk: randomMatrix(kvHeads * hd, d, 6, 0.5),
    wv: randomMatrix(kvHeads * hd, d, 7, 0.5),
    wo: randomMatrix(d, heads * hd, 8, 0.5),
    wg: randomMatrix(dff, d, 9, 0.5),
    wu: randomMatrix(dff, d, 10, 0.5),
    wd: randomMatrix(d, dff, 11, 0.5),
    lm: randomMatrix(vocab, d, 12),
  };
}

function transform(m: Block, options: { skipR4Fold?: boolean } = {}): Block {
  const ones = new Float64Array(d).fill(1);
  const r1 = createRandomHadamard(d, { seed: 7 }).matrix;
  const r2 = [createRandomOrthogonal(hd, { seed: 1 }), createRandomOrthogonal(hd, { seed: 2 })];
  // Online R4 maps z -> z H_nᵀ (rows H z), so its inverse folds as W_down <- W_down H_nᵀ.
  const h4t = { rows: dff, cols: dff, data: naiveTranspose(createHadamard(dff).data, dff, dff) };
  const fold = (gamma: Float64Array, w: Matrix) => rotateLinearInput(foldRmsNormWeight(gamma, w), r1);
  return {
    embed: rotateEmbedding(m.embed, r1),
    gamma1: ones,
    gamma2: ones,
    gammaF: ones,
    wq: fold(m.gamma1, m.wq),
    wk: fold(m.gamma1, m.wk),
    wv: rotateHeadsOutput(fold(m.gamma1, m.wv), r2),
    wo: rotateLinearOutput(rotateHeadsInput(m.wo, r2, { numHeads: heads }), r1).weight,
    wg: fold(m.gamma2, m.wg),
    wu: fold(m.gamma2, m.wu),
    wd: rotateLinearOutput(options.skipR4Fold ? m.wd : rotateLinearInput(m.wd, h4t), r1).weight,
    lm: fold(m.gammaF, m.lm),
    r3: true,
    r4: true,
  };
}

describe('norm folding + R1/R2/R3/R4 fusion', () => {
  const tokens = [3, 1, 4, 1, 5, 9];

  it('leaves the logits of a tiny GQA decoder block unchanged (fp64)', () => {
    const block = randomBlock();
    const reference = forward(block, tokens);
    const rotated = forward(transform(block), tokens);
    expect(maxAbsDiff(rotated, reference)).toBeLessThan(1e-10);
  });

  it('detects a missing fold (negative control: R4 online without its inverse in down_proj)', () => {
    const block = randomBlock();
    const broken = forward(transform(block, { skipR4Fold: true }), tokens);
    expect(maxAbsDiff(broken, forward(block, tokens))).toBeGreaterThan(1e-3);
  });

  it('also holds in float32 weights to 1e-5', () => {
    const block = randomBlock();
    const f32 = (w: Matrix): Matrix => ({ rows: w.rows, cols: w.cols, data: Float32Array.from(w.data) });
    const t = transform(block);
    const single: Block = {
      ...t,
      embed: f32(t.embed),
      wq: f32(t.wq),
      wk: f32(t.wk),
      wv: f32(t.wv),
      wo: f32(t.wo),
    };
    Object.assign(single, { wg: f32(t.wg), wu: f32(t.wu), wd: f32(t.wd), lm: f32(t.lm) });
    expect(maxAbsDiff(forward(single, tokens), forward(block, tokens))).toBeLessThan(1e-5);
  });
});

describe('weight layouts', () => {
  const w = randomMatrix(6, 4, 1);
  const wt = { rows: 4, cols: 6, data: naiveTranspose(w.data, 6, 4) };
  const r4 = createRandomOrthogonal(4, { seed: 3 });
  const r6 = createRandomOrthogonal(6, { seed: 4 });

  it("'in-out' results are the transposes of the 'out-in' ones", () => {
    const inOut = rotateLinearInput(wt, r4, { layout: 'in-out' });
    expect(maxAbsDiff(inOut.data, naiveTranspose(rotateLinearInput(w, r4).data, 6, 4))).toBeLessThan(1e-14);
    const outRot = rotateLinearOutput(wt, r6, { layout: 'in-out' }).weight;
    expect(maxAbsDiff(outRot.data, naiveTranspose(rotateLinearOutput(w, r6).weight.data, 6, 4))).toBeLessThan(
      1e-14,
    );
    const gamma = Float64Array.of(1, 2, 3, 4);
    const folded = foldRmsNormWeight(gamma, wt, { layout: 'in-out' });
    expect(maxAbsDiff(folded.data, naiveTranspose(foldRmsNormWeight(gamma, w).data, 6, 4))).toBeLessThan(
      1e-14,
    );
    const r2 = [createRandomOrthogonal(2, { seed: 5 }), createRandomOrthogonal(2, { seed: 6 })];
    const three = [r2[0], r2[1], r2[0]]; // 3 KV heads of 2 output channels
    const v = rotateHeadsOutput(wt, three, { layout: 'in-out' });
    expect(maxAbsDiff(v.data, naiveTranspose(rotateHeadsOutput(w, three).data, 6, 4))).toBeLessThan(1e-14);
    const o = rotateHeadsInput(wt, r2, { numHeads: 2, layout: 'in-out' }); // 2 heads of 2 input channels
    const oRef = rotateHeadsInput(w, r2, { numHeads: 2 });
    expect(maxAbsDiff(o.data, naiveTranspose(oRef.data, 6, 4))).toBeLessThan(1e-14);
  });

  it('rotates an output bias as b R so that (x Wᵀ + b) R is preserved', () => {
    const bias = Float64Array.of(1, -2, 3, 0.5, 0, 2);
    const { weight, bias: rotatedBias } = rotateLinearOutput(w, r6, { bias });
    const x = Float64Array.of(0.3, -1, 2, 0.7);
    const y = linear(x, 1, w).map((v, i) => v + bias[i]);
    const yr = linear(x, 1, weight).map((v, i) => v + rotatedBias![i]);
    let expected = new Float64Array(6);
    expected = expected.map((_, j) => y.reduce((s, yi, i) => s + yi * r6.data[i * 6 + j], 0));
    expect(maxAbsDiff(yr, expected)).toBeLessThan(1e-13);
  });
});
