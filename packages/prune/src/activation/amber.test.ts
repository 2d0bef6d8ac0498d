import { describe, expect, it } from 'vitest';
import { createRng, randomMatrix } from '../../test/helpers/layers';
import { isPruneError } from '../errors';
import type { LinearProjection } from '../types';
import { applyAmberActivationSparsity, scoreAmberActivations } from './amber-activation-mask';
import { computeAmberChannelScale } from './amber-channel-scale';
import { AMBER_SKIP_LAYERS, amberSensitivity, amberSparsifies } from './amber-layer-policy';

describe('Amber Pruner', () => {
  it('channel scale is the column L2 norm over the smallest column norm', () => {
    const data = Float32Array.from([3, 0, 1, 4, 2, 1]); // [2 out, 3 in]: columns (3,4) (0,2) (1,1)
    const f = computeAmberChannelScale({ data, rows: 2, columns: 3 });
    expect(Array.from(f)).toEqual([5 / Math.SQRT2, 2 / Math.SQRT2, 1].map((v) => expect.closeTo(v, 12)));
  });

  it('robust norm drops the extreme quantiles and standardizes before the column norms', () => {
    const rng = createRng(41);
    const rows = 50;
    const columns = 8;
    const data = randomMatrix(rng, rows, columns);
    data[0] = 1000; // one huge outlier in column 0 dominates the plain norm
    const plain = computeAmberChannelScale({ data, rows, columns });
    const robust = computeAmberChannelScale({ data, rows, columns }, { robustNorm: true });
    expect(plain[0]).toBeGreaterThan(50);
    expect(robust[0]).toBeLessThan(2);
    // Reference: quantiles by linear interpolation, kept entries standardized with their own mean and population std.
    const sorted = Array.from(data).sort((a, b) => a - b);
    const q = (p: number) => {
      const position = p * (sorted.length - 1);
      const low = Math.floor(position);
      return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (position - low);
    };
    const [lo, hi] = [q(0.005), q(0.995)];
    const kept = Array.from(data).filter((v) => v >= lo && v <= hi);
    const m = kept.reduce((a, b) => a + b, 0) / kept.length;
    const sd = Math.sqrt(kept.reduce((a, b) => a + (b - m) ** 2, 0) / kept.length);
    const norms = Array.from({ length: columns }, (_, j) => {
      let s = 0;
      for (let i = 0; i < rows; i++) {
        const v = data[i * columns + j];
        if (v >= lo && v <= hi) s += ((v - m) / sd) ** 2;
      }
      return Math.sqrt(s);
    });
    const min = Math.min(...norms);
    norms.forEach((n, j) => {
      expect(robust[j]).toBeCloseTo(n / min, 9);
    });
  });

  it.each([
    [2, 4],
    [4, 8],
    [8, 16],
  ])('%i:%i keeps the top-N weight-aware scores of each token group and zeroes the rest', (n, m) => {
    const rng = createRng(42 + m);
    const tokens = 3;
    const columns = 2 * m;
    const x = randomMatrix(rng, tokens, columns);
    const scale = Float64Array.from({ length: columns }, () => 1 + rng.next() * 3);
    const sparse = applyAmberActivationSparsity(x, tokens, columns, scale, { n, m });
    const scores = scoreAmberActivations(x, tokens, columns, scale);
    for (let start = 0; start < tokens * columns; start += m) {
      const group = Array.from({ length: m }, (_, k) => start + k).sort((a, b) => scores[b] - scores[a]);
      group.slice(0, n).forEach((k) => {
        expect(sparse[k]).toBe(x[k]);
      });
      group.slice(n).forEach((k) => {
        expect(sparse[k]).toBe(0);
      });
      expect(scores[start]).toBeCloseTo(Math.abs(x[start]) * scale[start % columns], 6);
    }
    expect(x.some((v) => v === 0)).toBe(false);
  });

  it('keeps the lower channel on equal scores, as the wasm kernel does', () => {
    const x = Float32Array.from([1, -1, 1, 1, 2, 0, 0, 2]);
    const sparse = applyAmberActivationSparsity(x, 1, 8, new Float64Array(8).fill(1), { n: 2, m: 4 });
    expect(Array.from(sparse)).toEqual([1, -1, 0, 0, 2, 0, 0, 2]);
  });

  it('rejects bad patterns and shapes with typed errors', () => {
    for (const run of [
      () => applyAmberActivationSparsity(new Float32Array(8), 1, 8, new Float64Array(8), { n: 4, m: 4 }),
      () => applyAmberActivationSparsity(new Float32Array(6), 1, 6, new Float64Array(6), { n: 2, m: 4 }),
      () => scoreAmberActivations(new Float32Array(7), 1, 8, new Float64Array(8)),
    ]) {
      try {
        run();
        expect.unreachable();
      } catch (error) {
        expect(isPruneError(error)).toBe(true);
      }
    }
  });

  it('layer rules: k/v/o/up dense, down sparse, q/gate sparse except in skipped layers', () => {
    const skipLayers = AMBER_SKIP_LAYERS['llama-3.1-8b'];
    const all: LinearProjection[] = [
      'q_proj',
      'k_proj',
      'v_proj',
      'o_proj',
      'gate_proj',
      'up_proj',
      'down_proj',
    ];
    expect(all.filter((p) => amberSparsifies(p, 0, { skipLayers }))).toEqual([
      'q_proj',
      'gate_proj',
      'down_proj',
    ]);
    expect(all.filter((p) => amberSparsifies(p, 19, { skipLayers }))).toEqual(['down_proj']);
    // The brief's check: LLaMA-3.1-8B (hidden 4096, kv 1024, inter 14336, 32 layers) sparsifies 56.1% of linear MACs.
    const macs: Record<LinearProjection, number> = {
      q_proj: 4096 * 4096,
      k_proj: 4096 * 1024,
      v_proj: 4096 * 1024,
      o_proj: 4096 * 4096,
      gate_proj: 4096 * 14336,
      up_proj: 4096 * 14336,
      down_proj: 14336 * 4096,
    };
    let sparse = 0;
    let total = 0;
    for (let layer = 0; layer < 32; layer++) {
      for (const p of all) {
        total += macs[p];
        if (amberSparsifies(p, layer, { skipLayers })) sparse += macs[p];
      }
    }
    expect(sparse / total).toBeCloseTo(0.561, 3);
    expect(amberSensitivity([3, 4], [3, 4])).toBe(0);
    expect(amberSensitivity([3, 4], [0, 0])).toBeCloseTo(1, 9);
  });
});
