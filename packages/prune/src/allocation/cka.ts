import { PruneError } from '../errors';
import { checkPositiveInteger } from '../internal/validate';

/**
 * Linear CKA between two layers' features (Kornblith et al. 2019), as LoSA's RMI uses it (brief §5):
 * `CKA = ⟨HK_aH, HK_bH⟩ / (‖HK_aH‖·‖HK_bH‖)` with Gram matrices `K = F Fᵀ` over `samples` rows and `H` centering.
 * `features` are row-major `[samples, dim]` (one flattened block input per calibration sample).
 */
export function linearCka(a: ArrayLike<number>, b: ArrayLike<number>, samples: number): number {
  return ckaOfCenteredGrams(centeredGram(a, samples, 'a'), centeredGram(b, samples, 'b'));
}

/** CKA from two double-centred Gram matrices (`centerGram`): their normalized Frobenius inner product. */
export function ckaOfCenteredGrams(ka: ArrayLike<number>, kb: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let q = 0; q < ka.length; q++) {
    dot += ka[q] * kb[q];
    na += ka[q] * ka[q];
    nb += kb[q] * kb[q];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** `H F Fᵀ H` with `H = I − 11ᵀ/s`: double-centred Gram matrix, `samples x samples`. */
export function centeredGram(
  features: ArrayLike<number>,
  samples: number,
  argument = 'features',
): Float64Array {
  checkPositiveInteger(samples, 'samples');
  if (features.length % samples !== 0 || features.length === 0) {
    throw new PruneError(
      'PRUNE_SHAPE_MISMATCH',
      `${argument}: ${features.length} values do not split into ${samples} samples`,
      { details: { argument, samples, length: features.length } },
    );
  }
  const dim = features.length / samples;
  const gram = new Float64Array(samples * samples);
  for (let i = 0; i < samples; i++) {
    for (let j = i; j < samples; j++) {
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += features[i * dim + d] * features[j * dim + d];
      gram[i * samples + j] = sum;
      gram[j * samples + i] = sum;
    }
  }
  return centerGram(gram, samples);
}

/** Double-centres a Gram matrix in place (`H K H`) and returns it. */
export function centerGram(gram: Float64Array, samples: number): Float64Array {
  const rowMean = new Float64Array(samples);
  let total = 0;
  for (let i = 0; i < samples; i++) {
    for (let j = 0; j < samples; j++) rowMean[i] += gram[i * samples + j] / samples;
    total += rowMean[i] / samples;
  }
  for (let i = 0; i < samples; i++) {
    for (let j = 0; j < samples; j++) gram[i * samples + j] += total - rowMean[i] - rowMean[j];
  }
  return gram;
}
