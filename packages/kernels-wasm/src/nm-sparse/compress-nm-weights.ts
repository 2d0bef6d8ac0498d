/**
 * The compressed N:M weight format of `nmSparseGemm`: W [rows = out features, columns = in
 * features] split along columns into groups of `group`, keeping `kept` values per group:
 * values float [rows, columns / group * kept] and indices uint8 (position inside the group,
 * ascending). fp32 2:4 stores 2 values + 2 bytes per 4 weights (62.5% of dense).
 *
 * `compressNmWeights` keeps the `kept` largest |w| of each group (lower index on ties): exact for
 * a weight that is already N:M sparse, magnitude pruning otherwise.
 */
import { KernelError } from '../errors';
import { checkDimension } from '../internal/io';

export interface NmShape {
  /** Output features N (rows of W). */
  rows: number;
  /** Input features K (columns of W); a multiple of `group`. */
  columns: number;
  /** Values kept per group (the N of N:M). */
  kept: number;
  /** Group length (the M of N:M), 2..64. */
  group: number;
}

export interface NmCompressedWeights extends NmShape {
  values: Float32Array;
  indices: Uint8Array;
}

export function checkNmShape(kernel: string, shape: NmShape): NmShape {
  const rows = checkDimension(kernel, 'rows', shape.rows);
  const columns = checkDimension(kernel, 'columns', shape.columns);
  const group = checkDimension(kernel, 'group', shape.group, 2);
  const kept = checkDimension(kernel, 'kept', shape.kept);
  if (group > 64 || kept > group) {
    throw new KernelError(
      'KERNEL_INVALID_ARGUMENT',
      `${kernel}: need 1 <= kept <= group <= 64, got ${kept}:${group}`,
      {
        details: { kernel, argument: 'kept', kept, group },
      },
    );
  }
  if (columns % group !== 0) {
    throw new KernelError(
      'KERNEL_SHAPE_MISMATCH',
      `${kernel}: columns=${columns} is not a multiple of group=${group}`,
      {
        details: { kernel, argument: 'columns', columns, group },
      },
    );
  }
  return { rows, columns, kept, group };
}

export function compressNmWeights(weight: Float32Array, shape: NmShape): NmCompressedWeights {
  const { rows, columns, kept, group } = checkNmShape('compressNmWeights', shape);
  if (!(weight instanceof Float32Array) || weight.length < rows * columns) {
    throw new KernelError(
      'KERNEL_BUFFER_TOO_SMALL',
      `compressNmWeights: weight needs ${rows * columns} floats`,
      {
        details: { kernel: 'compressNmWeights', argument: 'weight', required: rows * columns },
      },
    );
  }
  const perRow = (columns / group) * kept;
  const values = new Float32Array(rows * perRow);
  const indices = new Uint8Array(rows * perRow);
  const order = Array.from({ length: group }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < columns / group; g++) {
      const base = r * columns + g * group;
      const chosen = [...order]
        .sort((a, b) => Math.abs(weight[base + b]) - Math.abs(weight[base + a]) || a - b)
        .slice(0, kept)
        .sort((a, b) => a - b);
      for (let i = 0; i < kept; i++) {
        values[r * perRow + g * kept + i] = weight[base + chosen[i]];
        indices[r * perRow + g * kept + i] = chosen[i];
      }
    }
  }
  return { rows, columns, kept, group, values, indices };
}
