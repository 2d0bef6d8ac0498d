/**
 * TypeScript numeric cores (no ORT equivalent exists; the baseline row is the cheaper method): GPTQ vs RTN
 * on one layer, and one DartQuant R1 step (Whip loss + gradient + QR + QR backward).
 */

import { evaluateWhip, householderQr, qrOrthBackward, quantizeGptq, quantizeRtn } from '../src/index';
import { randomMatrix } from '../src/internal/test-helpers';
import { createHessianAccumulator } from '../src/quant/hessian';
import { emit, medians } from './timing';

export async function benchCores(): Promise<void> {
  for (const k of [256, 768]) {
    const w = randomMatrix(k, k, 1);
    const acc = createHessianAccumulator(k);
    acc.add(randomMatrix(2048, k, 2));
    const h = acc.hessian();
    const t = await medians(
      {
        gptq: () => quantizeGptq(w, h, { bits: 4, groupSize: 128 }),
        rtn: () => quantizeRtn(w, { bits: 4, groupSize: 128 }),
      },
      { warmup: 1, samples: 3 },
    );
    emit({
      bench: 'gptq-layer',
      shape: { n: k, k },
      ours: 'quantizeGptq',
      ours_ms: t.gptq,
      baseline: 'quantizeRtn',
      baseline_ms: t.rtn,
    });
  }
  for (const [d, tokens] of [
    [256, 4096],
    [512, 4096],
  ]) {
    const x = randomMatrix(tokens, d, 3);
    const z = randomMatrix(d, d, 4);
    const t = await medians(
      {
        step: () => {
          const { q, r } = householderQr(z);
          const g = evaluateWhip([x], [q], true).gradients![0];
          return qrOrthBackward(q.data, r.data, g, d);
        },
      },
      { warmup: 1, samples: 3 },
    );
    emit({
      bench: 'dartquant-r1-step',
      shape: { d, tokens },
      ours: 'Whip + grad + QR + QR backward (fp64 TS)',
      ours_ms: t.step,
    });
  }
}
