/**
 * Summary of `bench/dartquant-seeds.ts` output (issue 6): `node --import tsx bench/dartquant-seeds-summary.ts
 * [bench/dartquant-seeds-results.jsonl]`. Prints markdown: per variant the mean and sample standard deviation
 * over seeds of W4A4 ppl and of the held-out statistics, the paired difference to `hadamard` of the same seed
 * (mean, sd, min, max, and how many seeds it is below), and Pearson / Spearman correlations over all rows
 * between Whip, 4-bit activation error, 4-bit weight error and ppl (and the same on the paired differences).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface Row {
  seed: number;
  variant: string;
  ppl?: number;
  whipR1?: number;
  a4ErrorR1?: number;
  whipR2?: number;
  a4ErrorO?: number;
  w4Error?: number;
}

const file = process.argv[2] ?? resolve(import.meta.dirname, 'dartquant-seeds-results.jsonl');
const rows = readFileSync(file, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Row & { variant?: string })
  .filter((row): row is Row => row.variant !== undefined && row.variant !== 'identity-check');

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const sd = (v: number[]) => {
  if (v.length < 2) return Number.NaN;
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
};
function pearson(a: number[], b: number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}
function ranks(v: number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}
const spearman = (a: number[], b: number[]) => pearson(ranks(a), ranks(b));
const f = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

const variants = [...new Set(rows.map((r) => r.variant))];
const hadamard = new Map(rows.filter((r) => r.variant === 'hadamard').map((r) => [r.seed, r]));

console.log(
  '| variant | seeds | W4A4 ppl mean ± sd | paired Δppl vs hadamard: mean ± sd [min, max] | below hadamard | Whip R1 | A4 err R1 | Whip R2 | A4 err o_proj | W4 err |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const variant of variants) {
  const set = rows.filter((r) => r.variant === variant && r.ppl !== undefined);
  const ppl = set.map((r) => r.ppl!);
  const paired = set.filter((r) => hadamard.get(r.seed)?.ppl !== undefined);
  const deltas = paired.map((r) => r.ppl! - hadamard.get(r.seed)!.ppl!);
  const stat = (key: keyof Row, scale = 1, digits = 2) => {
    const v = set.map((r) => r[key] as number | undefined).filter((x): x is number => x !== undefined);
    return v.length === 0 ? '—' : `${f(mean(v) * scale, digits)}`;
  };
  const below = deltas.filter((x) => x < 0).length;
  console.log(
    `| ${variant} | ${set.map((r) => r.seed).join(',')} | ${f(mean(ppl))} ± ${f(sd(ppl))} | ${
      variant === 'hadamard' || deltas.length === 0
        ? '—'
        : `${f(mean(deltas))} ± ${f(sd(deltas))} [${f(Math.min(...deltas))}, ${f(Math.max(...deltas))}]`
    } | ${variant === 'hadamard' ? '—' : `${below}/${deltas.length}`} | ${stat('whipR1')} | ${stat('a4ErrorR1', 100, 3)} % | ${stat('whipR2')} | ${stat('a4ErrorO', 100, 3)} % | ${stat('w4Error', 100, 3)} % |`,
  );
}

console.log('\nPer seed W4A4 ppl:\n');
const seeds = [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b);
console.log(`| variant | ${seeds.map((s) => `seed ${s}`).join(' | ')} |`);
console.log(`|---|${seeds.map(() => '---').join('|')}|`);
for (const variant of variants) {
  const cells = seeds.map((s) => {
    const r = rows.find((x) => x.variant === variant && x.seed === s);
    return r?.ppl === undefined ? '—' : f(r.ppl);
  });
  console.log(`| ${variant} | ${cells.join(' | ')} |`);
}

const complete = rows.filter(
  (r) =>
    r.ppl !== undefined && r.whipR1 !== undefined && r.a4ErrorR1 !== undefined && r.a4ErrorO !== undefined,
);
const pairs: [keyof Row, keyof Row][] = [
  ['whipR1', 'a4ErrorR1'],
  ['whipR1', 'ppl'],
  ['a4ErrorR1', 'ppl'],
  ['whipR2', 'a4ErrorO'],
  ['whipR2', 'ppl'],
  ['a4ErrorO', 'ppl'],
  ['whipR1', 'w4Error'],
  ['w4Error', 'ppl'],
];
for (const [title, full] of [
  ['all rows (`none` included: its 90 ppl dominates Pearson)', complete],
  ['rotated rows only (`none` excluded)', complete.filter((r) => r.variant !== 'none')],
] as const) {
  console.log(`\nCorrelations over ${title}, Pearson / Spearman:\n`);
  console.log('| x | y | n | Pearson | Spearman | Δx vs Δy paired to hadamard: Pearson / Spearman |');
  console.log('|---|---|---|---|---|---|');
  for (const [x, y] of pairs) {
    const a = full.map((r) => r[x] as number);
    const b = full.map((r) => r[y] as number);
    const paired = full.filter((r) => r.variant !== 'hadamard' && hadamard.get(r.seed)?.[y] !== undefined);
    const da = paired.map((r) => (r[x] as number) - (hadamard.get(r.seed)![x] as number));
    const db = paired.map((r) => (r[y] as number) - (hadamard.get(r.seed)![y] as number));
    console.log(
      `| ${x} | ${y} | ${a.length} | ${f(pearson(a, b))} | ${f(spearman(a, b))} | ${f(pearson(da, db))} / ${f(spearman(da, db))} (n ${da.length}) |`,
    );
  }
}
