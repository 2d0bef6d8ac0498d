import { type KvBitPair, pairBits } from './kvtuner-pairs';

/** A point of the search: a pair per layer, its equivalent bits and summed error proxy. */
export interface KvTunerCandidate {
  /** Index into the pair list, per layer. */
  pairs: number[];
  /** Σ_l (b_K,l + b_V,l) / (2L). */
  averageBits: number;
  /** Σ_l e_l(p_l). */
  error: number;
}

/**
 * Indices of the points not dominated in (cost, error): q dominates p when cost_q ≤ cost_p and error_q ≤ error_p
 * with one strict. Equal points keep the first. Returned in increasing cost.
 */
export function paretoFront(points: readonly { cost: number; error: number }[]): number[] {
  const order = points
    .map((_, i) => i)
    .sort((a, b) => points[a].cost - points[b].cost || points[a].error - points[b].error || a - b);
  const front: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const i of order) {
    if (points[i].error < best) {
      front.push(i);
      best = points[i].error;
    }
  }
  return front;
}

/** KVTuner's intra-layer pruning: per layer, the pairs Pareto-optimal in (equivalent bits, error). */
export function pruneLayerPairs(
  errors: readonly (readonly number[])[],
  pairs: readonly KvBitPair[],
): number[][] {
  return errors.map((row) => paretoFront(pairs.map((pair, p) => ({ cost: pairBits(pair), error: row[p] }))));
}

/**
 * KVTuner's inter-layer clustering: layers whose sensitivity profiles (log10 errors over all pairs) are close share
 * one choice. Deterministic agglomerative clustering, average linkage on Euclidean distance, down to `groups`
 * clusters. Returns the groups (sorted layer lists, ordered by their first layer).
 */
export function clusterLayers(errors: readonly (readonly number[])[], groups: number): number[][] {
  const features = errors.map((row) => row.map((e) => Math.log10(Math.max(e, 1e-12))));
  const distance = (a: number, b: number) =>
    Math.sqrt(features[a].reduce((sum, x, i) => sum + (x - features[b][i]) ** 2, 0));
  let clusters = features.map((_, l) => [l]);
  while (clusters.length > Math.max(1, groups)) {
    let best = [0, 1];
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let a = 0; a < clusters.length; a++) {
      for (let b = a + 1; b < clusters.length; b++) {
        let sum = 0;
        for (const x of clusters[a]) for (const y of clusters[b]) sum += distance(x, y);
        const average = sum / (clusters[a].length * clusters[b].length);
        if (average < bestDistance) {
          bestDistance = average;
          best = [a, b];
        }
      }
    }
    const merged = [...clusters[best[0]], ...clusters[best[1]]].sort((x, y) => x - y);
    clusters = clusters.filter((_, i) => i !== best[0] && i !== best[1]).concat([merged]);
  }
  return clusters.sort((a, b) => a[0] - b[0]);
}

export interface KvTunerSearchResult {
  /** Candidate pair indices per group after pruning the group's summed errors. */
  groupCandidates: number[][];
  /** Configurations searched (product of the groups' candidate counts). */
  searched: number;
  /** Pareto front of the whole search in (average bits, summed error), increasing bits. */
  front: KvTunerCandidate[];
  /** The front's least-error point within the budget. */
  chosen: KvTunerCandidate;
}

/**
 * KVTuner's multi-objective search (arXiv 2502.04420 §4; the paper runs NSGA-II with task accuracy): every layer of a
 * group takes the group's pair; a group's candidates are the Pareto-optimal pairs of its summed layer errors
 * (intra-layer pruning applied at group level). The grouped space (≤ 9^groups) is small enough to enumerate, so the
 * front here is exact rather than sampled. Objectives: minimize average bits and the summed error proxy; the answer is
 * the least-error point with averageBits ≤ budget. Throws a RangeError if the budget is below the cheapest config.
 */
export function searchKvTuner(
  errors: readonly (readonly number[])[],
  pairs: readonly KvBitPair[],
  groups: readonly (readonly number[])[],
  budget: number,
): KvTunerSearchResult {
  const numLayers = errors.length;
  const groupCandidates = groups.map((layers) =>
    paretoFront(
      pairs.map((pair, p) => ({
        cost: pairBits(pair),
        error: layers.reduce((sum, l) => sum + errors[l][p], 0),
      })),
    ),
  );
  const points: KvTunerCandidate[] = [];
  const choice = new Array<number>(groups.length).fill(0);
  const total = groupCandidates.reduce((product, list) => product * list.length, 1);
  for (let index = 0; index < total; index++) {
    let rest = index;
    for (let g = 0; g < groups.length; g++) {
      choice[g] = groupCandidates[g][rest % groupCandidates[g].length];
      rest = Math.floor(rest / groupCandidates[g].length);
    }
    const layerPairs = new Array<number>(numLayers);
    let bits = 0;
    let error = 0;
    for (let g = 0; g < groups.length; g++) {
      for (const l of groups[g]) {
        layerPairs[l] = choice[g];
        bits += pairBits(pairs[choice[g]]);
        error += errors[l][choice[g]];
      }
    }
    points.push({ pairs: layerPairs, averageBits: bits / numLayers, error });
  }
  const front = paretoFront(points.map((point) => ({ cost: point.averageBits, error: point.error }))).map(
    (i) => points[i],
  );
  const feasible = front.filter((point) => point.averageBits <= budget + 1e-9);
  if (feasible.length === 0) {
    throw new RangeError(
      `KVTuner: no configuration within ${budget} average bits (cheapest ${front[0].averageBits})`,
    );
  }
  return { groupCandidates, searched: total, front, chosen: feasible[feasible.length - 1] };
}
