/**
 * Williamson's construction (J. Williamson, "Hadamard's determinant theorem and the sum of four
 * squares", Duke Math. J. 11 (1944) 65-81): four symmetric circulant +1/-1 matrices A, B, C, D of
 * order t with A^2 + B^2 + C^2 + D^2 = 4t I, placed in the array
 *
 *   [[ A,  B,  C,  D],
 *    [-B,  A, -D,  C],
 *    [-C,  D,  A, -B],
 *    [-D, -C,  B,  A]]
 *
 * give a Hadamard matrix of order 4t.
 *
 * First rows ('+' = 1, '-' = -1) are published mathematical facts:
 * - t = 39 (order 156): D. Z. Djokovic, "Williamson matrices of orders 4·29 and 4·39",
 *   J. Combin. Theory A 59 (1992), as tabulated by D. Lonc (2013) and in SageMath's
 *   `williamson_type_quadruples_smallcases`.
 * - t = 43 (order 172): M. Hall, "Combinatorial Theory" (2nd ed., 1983), same table.
 * The tests check H H^T = n I for both, so a typo cannot pass.
 */
const firstRows: Record<number, readonly [string, string, string, string]> = {
  39: [
    '+++--+-+-----+--++----++--+-----+-+--++',
    '+++--++-+---+-+--+----+--+-+---+-++--++',
    '++++---+--++----+-+--+-+----++--+---+++',
    '+---++-+-+-----+++-++-+++-----+-+-++---',
  ],
  43: [
    '++---++++-+--+--++--------++--+--+-++++---+',
    '+++-+-++--+-+-++++-+----+-++++-+-+--++-+-++',
    '++-++++++----+-+--++-++-++--+-+----++++++-+',
    '+---++--++++-+-+++-++--++-+++-+-++++--++---',
  ],
};

/** Orders t with stored Williamson first rows. */
export const williamsonOrders: readonly number[] = Object.keys(firstRows).map(Number);

/** Hadamard matrix of order 4t from stored Williamson matrices of order t. */
export function williamson(t: number): Int8Array {
  const rows = firstRows[t];
  if (rows === undefined) throw new RangeError(`no Williamson matrices of order ${t} stored`);
  const blocks = rows.map((row) => Int8Array.from(row, (ch) => (ch === '+' ? 1 : -1)));
  // Block (r, c) of the array: which of A..D (0..3) and its sign.
  const layout = [
    [0, 1, 2, 3],
    [-1, 0, -3, 2],
    [-2, 3, 0, -1],
    [-3, -2, 1, 0],
  ];
  const signs = [
    [1, 1, 1, 1],
    [-1, 1, -1, 1],
    [-1, 1, 1, -1],
    [-1, -1, 1, 1],
  ];
  const n = 4 * t;
  const h = new Int8Array(n * n);
  for (let br = 0; br < 4; br++) {
    for (let bc = 0; bc < 4; bc++) {
      const block = blocks[Math.abs(layout[br][bc])];
      const sign = signs[br][bc];
      for (let i = 0; i < t; i++) {
        for (let j = 0; j < t; j++) h[(br * t + i) * n + bc * t + j] = sign * block[(j - i + t) % t];
      }
    }
  }
  return h;
}
