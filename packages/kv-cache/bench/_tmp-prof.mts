import { profileRazorHeads } from '../src/profile/profile-razor';
import { rebuildReferenceModel } from './kv-quality-model';

const { model } = await rebuildReferenceModel();
const t = performance.now();
const p = await profileRazorHeads(model, {
  bosId: 0,
  blockLength: Number(process.argv[2] ?? 500),
  onProgress: (e) =>
    process.stderr.write(`${e.done}/${e.total} ${((performance.now() - t) / 1000).toFixed(1)}s\n`),
});
console.log(JSON.stringify(p.heads), ((performance.now() - t) / 1000).toFixed(1));
console.log(JSON.stringify(p.scores.induction.map((r) => r.map((x) => +x.toExponential(2)))));
console.log(JSON.stringify(p.scores.echo.map((r) => r.map((x) => +x.toExponential(2)))));
