/**
 * The analytic backward of the QR-Orth parametrization R = Q(Z) (DartQuant arXiv 2511.04063 §4.3;
 * brief §8.4). For square full-rank Z = Q Rqr with diag(Rqr) > 0 and a loss depending on Q only,
 * G = ∂L/∂Q:
 *
 *   ∂L/∂Z = Q · tril₋(QᵀG − GᵀQ) · Rqr⁻ᵀ        (tril₋: strictly lower triangle)
 *
 * Derivation: dZ = dQ R + Q dR, so C := Qᵀ dZ R⁻¹ = Ω + dR R⁻¹ with Ω = Qᵀ dQ antisymmetric and dR R⁻¹
 * upper triangular; hence Ω = tril₋(C) − tril₋(C)ᵀ. Then dL = ⟨G, dQ⟩ = ⟨B, Ω⟩ with B = QᵀG, and
 * ⟨B, L − Lᵀ⟩ = ⟨B − Bᵀ, L⟩ = ⟨tril₋(B − Bᵀ), C⟩ = ⟨Q tril₋(B − Bᵀ) R⁻ᵀ, dZ⟩ for L = tril₋(C).
 * This is the standard QR adjoint with ∂L/∂Rqr = 0 (e.g. PyTorch's `linalg_qr_backward`).
 */
import { multiply, multiplyTransposeA } from '../internal/dense';

/** ∂L/∂Z from Q, Rqr (n x n, Rqr upper with positive diagonal) and G = ∂L/∂Q. */
export function qrOrthBackward(
  q: Float64Array,
  r: Float64Array,
  gradQ: Float64Array,
  n: number,
): Float64Array {
  const b = multiplyTransposeA(q, gradQ, n, n, n); // QᵀG
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m[i * n + j] = b[i * n + j] - b[j * n + i];
  const qm = multiply(q, m, n, n, n);
  // X = qm · R⁻ᵀ  ⇔  X Rᵀ = qm  ⇔  for each row x: R xᵀ = rowᵀ (back substitution).
  const out = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    const base = row * n;
    for (let i = n - 1; i >= 0; i--) {
      let s = qm[base + i];
      for (let j = i + 1; j < n; j++) s -= r[i * n + j] * out[base + j];
      out[base + i] = s / r[i * n + i];
    }
  }
  return out;
}
