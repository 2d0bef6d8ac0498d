/**
 * Stable ascending argsort of `values[offset .. offset+length)`, returned as indices relative to `offset`.
 * Ties keep index order (as torch's `sort(stable=True)`), which makes masks reproducible bit for bit.
 * NaN sorts last.
 */
export function argsortStable(
  values: ArrayLike<number>,
  offset = 0,
  length: number = values.length - offset,
): Uint32Array {
  const order = new Uint32Array(length);
  for (let k = 0; k < length; k++) order[k] = k;
  // Array.prototype.sort is stable (ES2019); a typed array's sort is too, but takes a comparator on the values.
  const keys = new Float64Array(length);
  for (let k = 0; k < length; k++) {
    const v = values[offset + k];
    keys[k] = Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  }
  order.sort((a, b) => keys[a] - keys[b] || a - b);
  return order;
}
