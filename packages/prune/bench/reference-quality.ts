/**
 * Quality on the trained reference LM (@x/reference-lm, 9.2M-parameter Llama): held-out perplexity of the dense model
 * and of each pruning setting, one JSON line per row (each beside the dense baseline, same process).
 * Run: `node --conditions=@x/source --import tsx bench/reference-quality.ts [maxWindows] [samples]`
 * (`ONLY='wanda 50%,sparsegpt 50%'` picks rows, `SKIP=...` leaves some out, `NO_PPL=1` skips perplexity,
 * `MEASURE=all` measures the layer errors of every DSnoT row).
 * Protocol: calibration = `samples` windows of 512 tokens from data/calibration.txt (seed 0); perplexity on
 * data/heldout.txt, non-overlapping 512-token windows (the first `maxWindows`), core's `evaluatePerplexity`.
 */
import { type PruneModelOptions, pruneModel } from '../src/index';
import { loadReferenceSetup } from './reference-setup';
import { emit } from './timing';

const maxWindows = Number(process.argv[2] ?? 64);
const samples = Number(process.argv[3] ?? 32);
// `SEQLEN=2048` for the papers' 128 × 2048 calibration (the held-out windows stay 512 tokens).
const seqlen = Number(process.env.SEQLEN ?? 512);
const evalSeqlen = 512;
const { dense, calibration, backend, perplexity } = await loadReferenceSetup({ samples, seqlen, maxWindows });
// `NO_PPL=1`: only the pruning diagnostics (DSnoT's objective, the layer errors), no perplexity.
const skipPerplexity = Boolean(process.env.NO_PPL);
const densePpl = skipPerplexity ? Number.NaN : await perplexity(dense);
emit({
  bench: 'reference-quality',
  run: 'dense',
  ppl: Number(densePpl.toFixed(3)),
  maxWindows,
  seqlen: evalSeqlen,
});
// The acceptance grid: each method with and without DSnoT at 50/60/70% and 2:4, 4:8 (DSnoT at its official
// defaults, θ scaled to 512-token sequences below), then the rows of the DSnoT investigation (README).
const patterns: [string, PruneModelOptions['sparsity']][] = [
  ['2:4', '2:4'],
  ['4:8', '4:8'],
  ['70%', 0.7],
  ['60%', 0.6],
  ['50%', 0.5],
];
const runs: [string, PruneModelOptions][] = [];
for (const methods of [['wanda', 'sparsegpt'], ['magnitude']] as const) {
  for (const [label, sparsity] of patterns) {
    for (const method of methods) {
      runs.push([`${method} ${label}`, { method, sparsity }]);
      runs.push([`${method}+dsnot ${label}`, { method, sparsity, dsnot: true }]);
    }
  }
}
runs.push(
  ['wanda+owl 60%', { method: 'wanda', sparsity: 0.6, allocation: 'owl' }],
  // DSnoT's T = 50 swaps per row was set for rows of 4096+ inputs; these rows have 256-768 (T = 50·in/4096 ≈ 3-9).
  ['wanda+dsnot T=4 50%', { method: 'wanda', sparsity: 0.5, dsnot: { maxCycles: 4 } }],
  ['wanda+dsnot T=4 60%', { method: 'wanda', sparsity: 0.6, dsnot: { maxCycles: 4 } }],
  // The option this investigation added: T = round(50 · in / 4096) per linear (3 for these attention rows).
  ...(['50%', '60%', '70%', '2:4'] as const).map((label): [string, PruneModelOptions] => [
    `wanda+dsnot row-width T ${label}`,
    {
      method: 'wanda',
      sparsity: patterns.find(([name]) => name === label)?.[1],
      dsnot: { scaleMaxCycles: 'row-width' },
    },
  ]),
  // The official N:M path may prune a same-sign weight (|ε| grows); the option this investigation added forbids it.
  [
    'wanda+dsnot opposite-sign 2:4',
    { method: 'wanda', sparsity: '2:4', dsnot: { nmPruneCandidate: 'opposite-sign' } },
  ],
  [
    'wanda+dsnot opposite-sign 4:8',
    { method: 'wanda', sparsity: '4:8', dsnot: { nmPruneCandidate: 'opposite-sign' } },
  ],
  ['wanda+dsnot sign-check 50%', { method: 'wanda', sparsity: 0.5, dsnot: { sameSignCheck: true } }],
  ['wanda+dsnot sign-check 60%', { method: 'wanda', sparsity: 0.6, dsnot: { sameSignCheck: true } }],
  ['wanda+dsnot no_skip 60%', { method: 'wanda', sparsity: 0.6, dsnot: { skipLayer: 'no_skip' } }],
);
const MEASURED =
  'magnitude+dsnot 50%,wanda+dsnot 50%,wanda+dsnot 60%,wanda+dsnot 2:4,wanda+dsnot T=4 60%,wanda+dsnot row-width T 60%,wanda+dsnot opposite-sign 2:4';
for (const [run, options] of runs) {
  if (process.env.ONLY && !process.env.ONLY.split(',').includes(run)) continue;
  if (process.env.SKIP?.split(',').includes(run)) continue;
  const { model, report } = await pruneModel(dense, {
    ...options,
    calibration,
    backend,
    // DSnoT rows: the per-linear reconstruction error (2/n)‖(W−Ŵ)Xᵀ‖² before (initial) and after (final) DSnoT.
    // (measureError accumulates a float64 in² Hessian per linear input: slow; `MEASURE='all'` for every DSnoT row).
    measureError:
      Boolean(options.dsnot) &&
      (process.env.MEASURE === 'all' || (process.env.MEASURE ?? MEASURED).split(',').includes(run)),
    // θ is in token-sum units of 2048-token sequences (brief §3.3 B3): scale it to 512.
    ...(options.dsnot
      ? {
          dsnot: {
            updateThreshold: (0.1 * seqlen) / 2048,
            ...(options.dsnot === true ? {} : options.dsnot),
          },
        }
      : {}),
  });
  const ppl = skipPerplexity ? Number.NaN : await perplexity(model);
  const refined = report.linears.filter((linear) => linear.dsnot && linear.reconstructionError);
  // DSnoT's own objective: the rows' expected error Σ_i |ε_i| (token-sum units), before/after, summed over linears.
  const objective = report.linears.filter((linear) => linear.dsnot && linear.dsnotError);
  const sumOf = (key: 'expectedErrorBefore' | 'expectedErrorAfter' | 'swaps') =>
    objective.reduce((total, linear) => total + (linear.dsnotError?.[key] ?? 0), 0);
  const errorRatios = refined.map((linear) => {
    const error = linear.reconstructionError as { initial: number; final: number };
    return error.final / Math.max(error.initial, 1e-30);
  });
  emit({
    bench: 'reference-quality',
    run,
    ppl: Number(ppl.toFixed(3)),
    densePpl: Number(densePpl.toFixed(3)),
    ratioToDense: Number((ppl / densePpl).toFixed(3)),
    sparsity: Number(report.sparsity.toFixed(4)),
    pruneSeconds: Number(report.timings.totalSeconds.toFixed(1)),
    calibration: `${samples}x${seqlen}`,
    maxWindows,
    ...(objective.length > 0
      ? {
          dsnotExpectedErrorBefore: Number(sumOf('expectedErrorBefore').toPrecision(4)),
          dsnotExpectedErrorAfter: Number(sumOf('expectedErrorAfter').toPrecision(4)),
          dsnotSwapsPerRow: Number(
            (sumOf('swaps') / objective.reduce((total, linear) => total + linear.rows, 0)).toFixed(2),
          ),
        }
      : {}),
    ...(refined.length > 0
      ? {
          dsnotLinears: refined.length,
          // Reconstruction error after/before DSnoT, over the refined linears: geometric mean, and how many rose.
          reconstructionErrorRatio: Number(
            Math.exp(
              errorRatios.reduce((sum, ratio) => sum + Math.log(ratio), 0) / errorRatios.length,
            ).toFixed(4),
          ),
          reconstructionErrorRaised: errorRatios.filter((ratio) => ratio > 1).length,
          // Per linear: total error before, after DSnoT; its mean part (what DSnoT steers) before, after.
          perLinear: refined.map((linear) => [
            `${linear.layer}.${linear.projection}`,
            ...[
              linear.reconstructionError?.initial,
              linear.reconstructionError?.final,
              linear.reconstructionError?.initialMean,
              linear.reconstructionError?.finalMean,
            ].map((value) => Number((value ?? Number.NaN).toPrecision(4))),
          ]),
        }
      : {}),
  });
}
