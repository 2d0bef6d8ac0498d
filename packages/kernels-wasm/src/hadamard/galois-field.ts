/**
 * The quadratic character of a finite field GF(p^k), as Paley's constructions need it.
 * Elements are integers 0..q-1 read as base-p digit vectors (polynomial coefficients, lowest
 * first); multiplication is modulo the first monic irreducible polynomial of degree k found by
 * search (k <= 3 here, so "no root in GF(p)" is enough for irreducibility).
 */
export interface FiniteField {
  readonly order: number;
  /** `a - b` in the field. */
  subtract(a: number, b: number): number;
  /** The quadratic character: 0 for 0, 1 for a nonzero square, -1 otherwise. */
  chi(a: number): -1 | 0 | 1;
}

/** `q = p^k` with p prime, or null. */
export function primePowerOf(q: number): { p: number; k: number } | null {
  if (!Number.isInteger(q) || q < 2) return null;
  let p = 2;
  while (p * p <= q && q % p !== 0) p++;
  if (q % p !== 0) p = q;
  let rest = q;
  let k = 0;
  while (rest % p === 0) {
    rest /= p;
    k++;
  }
  return rest === 1 ? { p, k } : null;
}

function digits(value: number, p: number, k: number): number[] {
  const out: number[] = [];
  let v = value;
  for (let i = 0; i < k; i++) {
    out.push(v % p);
    v = Math.floor(v / p);
  }
  return out;
}

function fromDigits(d: readonly number[], p: number): number {
  let v = 0;
  for (let i = d.length - 1; i >= 0; i--) v = v * p + d[i];
  return v;
}

/** Monic irreducible polynomial of degree k over GF(p), lowest coefficient first (k <= 3). */
function irreducible(p: number, k: number): number[] {
  if (k === 1) return [0, 1];
  if (k > 3) throw new RangeError(`GF(${p}^${k}) is not needed here`);
  for (let code = 0; code < p ** k; code++) {
    const poly = [...digits(code, p, k), 1];
    let hasRoot = false;
    for (let x = 0; x < p && !hasRoot; x++) {
      let y = 0;
      for (let i = poly.length - 1; i >= 0; i--) y = (y * x + poly[i]) % p;
      hasRoot = y === 0;
    }
    if (!hasRoot) return poly;
  }
  throw new Error(`no irreducible polynomial of degree ${k} over GF(${p})`);
}

export function createFiniteField(q: number): FiniteField {
  const pk = primePowerOf(q);
  if (pk === null) throw new RangeError(`${q} is not a prime power`);
  const { p, k } = pk;
  const modulus = irreducible(p, k);
  const multiply = (a: number, b: number): number => {
    const x = digits(a, p, k);
    const y = digits(b, p, k);
    const product = new Array<number>(2 * k - 1).fill(0);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) product[i + j] = (product[i + j] + x[i] * y[j]) % p;
    for (let d = product.length - 1; d >= k; d--) {
      const c = product[d];
      if (c === 0) continue;
      for (let i = 0; i <= k; i++) product[d - k + i] = (((product[d - k + i] - c * modulus[i]) % p) + p) % p;
    }
    return fromDigits(product.slice(0, k), p);
  };
  const squares = new Uint8Array(q);
  for (let a = 1; a < q; a++) squares[multiply(a, a)] = 1;
  return {
    order: q,
    subtract(a, b) {
      const x = digits(a, p, k);
      const y = digits(b, p, k);
      return fromDigits(
        x.map((v, i) => (v - y[i] + p) % p),
        p,
      );
    },
    chi(a) {
      if (a === 0) return 0;
      return squares[a] === 1 ? 1 : -1;
    },
  };
}
