/**
 * Marks in `mask` (at `maskOffset + k`) the `count` smallest of `values[offset .. offset+length)`, ties broken toward
 * the lower index, NaN counted as +∞: the same set a stable ascending sort would put first, found in O(length)
 * (quickselect of the threshold, then one pass). `scratch` must hold at least `length` numbers.
 */
export function markSmallest(
  values: ArrayLike<number>,
  offset: number,
  length: number,
  count: number,
  mask: Uint8Array,
  maskOffset: number,
  scratch: Float64Array,
): void {
  if (count <= 0) return;
  if (count >= length) {
    mask.fill(1, maskOffset, maskOffset + length);
    return;
  }
  for (let k = 0; k < length; k++) {
    const v = values[offset + k];
    scratch[k] = Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  }
  const threshold = kthSmallest(scratch, length, count - 1);
  let below = 0;
  for (let k = 0; k < length; k++) {
    const v = values[offset + k];
    if ((Number.isNaN(v) ? Number.POSITIVE_INFINITY : v) < threshold) below++;
  }
  let ties = count - below;
  for (let k = 0; k < length; k++) {
    const raw = values[offset + k];
    const v = Number.isNaN(raw) ? Number.POSITIVE_INFINITY : raw;
    if (v < threshold) mask[maskOffset + k] = 1;
    else if (v === threshold && ties > 0) {
      mask[maskOffset + k] = 1;
      ties--;
    }
  }
}

/** The value of rank `rank` (0-based) among `data[0 .. length)`; reorders `data`. Hoare quickselect, median-of-3. */
function kthSmallest(data: Float64Array, length: number, rank: number): number {
  let low = 0;
  let high = length - 1;
  while (high > low) {
    const middle = (low + high) >>> 1;
    // Median of three as pivot: deterministic and robust on sorted input.
    const a = data[low];
    const b = data[middle];
    const c = data[high];
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = low;
    let j = high;
    while (i <= j) {
      while (data[i] < pivot) i++;
      while (data[j] > pivot) j--;
      if (i <= j) {
        const swap = data[i];
        data[i] = data[j];
        data[j] = swap;
        i++;
        j--;
      }
    }
    if (rank <= j) high = j;
    else if (rank >= i) low = i;
    else return data[rank];
  }
  return data[rank];
}
