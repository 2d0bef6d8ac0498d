/**
 * TypeScript twin of block-sparse attention: expands the kept key blocks into a dense boolean mask
 * and runs the dense twin, i.e. the softmax renormalised over the union of kept keys (the brief's
 * section 8, shared/reference/sparse-attn-kernels.md; SpargeAttn arXiv 2502.18137 and
 * RainFusion 2.0 arXiv 2512.24086 skip `Q_i K_j^T` and `P_ij V_j` for dropped blocks).
 */
import type { AttentionInput, AttentionOptions, BlockSparseLayout } from '../attention-types';
import { validateBlockSparseLayout } from '../attention-validate';
import { attentionReference } from './attention-dense';

const KERNEL = 'blockSparseAttentionReference';

/** The dense `[numHeads, queryLength, kvLength]` visibility mask a layout stands for. */
export function blockSparseMask(
  layout: BlockSparseLayout,
  shape: { numHeads: number; queryLength: number; kvLength: number },
): Uint8Array {
  validateBlockSparseLayout(KERNEL, layout, shape);
  const { numHeads, queryLength, kvLength } = shape;
  const mask = new Uint8Array(numHeads * queryLength * kvLength);
  for (let h = 0; h < numHeads; h++) {
    const row0 = (h % layout.layoutHeads) * layout.numQueryBlocks;
    for (let i = 0; i < queryLength; i++) {
      const row = row0 + Math.floor(i / layout.blockSizeQuery);
      for (let e = layout.rowOffsets[row]; e < layout.rowOffsets[row + 1]; e++) {
        const first = layout.keyBlocks[e] * layout.blockSizeKey;
        const end = Math.min(kvLength, first + layout.blockSizeKey);
        mask.fill(1, (h * queryLength + i) * kvLength + first, (h * queryLength + i) * kvLength + end);
      }
    }
  }
  return mask;
}

/** Block-sparse attention: each query sees only the keys of its block's kept key blocks. */
export function blockSparseAttentionReference(
  input: AttentionInput,
  layout: BlockSparseLayout,
  options: AttentionOptions = {},
): Float32Array {
  const mask = blockSparseMask(layout, input);
  return attentionReference(input, { ...options, mask });
}
