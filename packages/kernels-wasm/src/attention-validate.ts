/**
 * Argument checks shared by the attention kernels and their TypeScript twins. Every failure is a
 * `KernelError` whose message and `details.argument` name the offending argument.
 */
import type {
  AttentionInput,
  AttentionMaskOptions,
  AttentionOptions,
  BlockSparseLayout,
  RaggedAttentionInput,
  RaggedAttentionOptions,
  ResolvedAttentionOptions,
} from './attention-types';
import { KernelError } from './errors';

/** Largest head dim the wasm kernels take (their K^T panel holds 8 keys of it). */
export const ATTENTION_MAX_HEAD_DIM = 2048;

function fail(
  code:
    | 'KERNEL_SHAPE_MISMATCH'
    | 'KERNEL_BUFFER_TOO_SMALL'
    | 'KERNEL_INVALID_ARGUMENT'
    | 'KERNEL_DTYPE_MISMATCH',
  kernel: string,
  argument: string,
  message: string,
  details: Record<string, unknown> = {},
): never {
  throw new KernelError(code, `${kernel}: ${argument}: ${message}`, {
    details: { kernel, argument, ...details },
  });
}

/** Positive integer (or >= 0 when `allowZero`). */
export function checkCount(kernel: string, argument: string, value: number, allowZero = false): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    fail(
      'KERNEL_INVALID_ARGUMENT',
      kernel,
      argument,
      `must be an integer >= ${allowZero ? 0 : 1}, got ${value}`,
      {
        value,
      },
    );
  }
}

/** A typed array of the right kind holding exactly `expected` elements. */
export function checkArray(
  kernel: string,
  argument: string,
  array: unknown,
  kind: 'Float32Array' | 'Uint8Array' | 'Int32Array',
  expected: number,
): void {
  const constructors = { Float32Array, Uint8Array, Int32Array } as const;
  if (!(array instanceof constructors[kind])) {
    fail('KERNEL_DTYPE_MISMATCH', kernel, argument, `must be a ${kind}`);
  }
  const length = (array as ArrayLike<number>).length;
  if (length < expected) {
    fail(
      'KERNEL_BUFFER_TOO_SMALL',
      kernel,
      argument,
      `holds ${length} elements, the shape needs ${expected}`,
      {
        length,
        expected,
      },
    );
  }
  if (length > expected) {
    fail('KERNEL_SHAPE_MISMATCH', kernel, argument, `holds ${length} elements, the shape gives ${expected}`, {
      length,
      expected,
    });
  }
}

/** The `output` option: a Float32Array of at least `expected` elements, or a new one. */
export function resolveOutput(
  kernel: string,
  output: Float32Array | undefined,
  expected: number,
): Float32Array {
  if (output === undefined) return new Float32Array(expected);
  if (!(output instanceof Float32Array))
    fail('KERNEL_DTYPE_MISMATCH', kernel, 'options.output', 'must be a Float32Array');
  if (output.length < expected) {
    fail(
      'KERNEL_BUFFER_TOO_SMALL',
      kernel,
      'options.output',
      `holds ${output.length} floats, needs ${expected}`,
      {
        length: output.length,
        expected,
      },
    );
  }
  return output;
}

/** Heads, GQA grouping and head dim. */
export function checkHeads(kernel: string, numHeads: number, numKvHeads: number, headDim: number): void {
  checkCount(kernel, 'numHeads', numHeads);
  checkCount(kernel, 'numKvHeads', numKvHeads);
  checkCount(kernel, 'headDim', headDim);
  if (numHeads % numKvHeads !== 0) {
    fail(
      'KERNEL_SHAPE_MISMATCH',
      kernel,
      'numHeads',
      `${numHeads} is not a multiple of numKvHeads ${numKvHeads}`,
      {
        numHeads,
        numKvHeads,
      },
    );
  }
  if (headDim > ATTENTION_MAX_HEAD_DIM) {
    fail(
      'KERNEL_INVALID_ARGUMENT',
      kernel,
      'headDim',
      `${headDim} exceeds the supported ${ATTENTION_MAX_HEAD_DIM}`,
    );
  }
}

/** Scale and causal flag with their defaults (`1 / sqrt(headDim)`, false). */
export function resolveAttentionOptions(
  kernel: string,
  headDim: number,
  options: AttentionOptions<unknown>,
): ResolvedAttentionOptions {
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  if (!Number.isFinite(scale))
    fail('KERNEL_INVALID_ARGUMENT', kernel, 'options.scale', `must be finite, got ${scale}`);
  return { scale, causal: options.causal ?? false };
}

/** Causal attention needs every KV length to cover the queries. */
export function checkCausalLength(
  kernel: string,
  argument: string,
  kvLength: number,
  queryLength: number,
): void {
  if (kvLength < queryLength) {
    fail(
      'KERNEL_SHAPE_MISMATCH',
      kernel,
      argument,
      `causal attention needs at least queryLength ${queryLength} keys, got ${kvLength}`,
      { kvLength, queryLength },
    );
  }
}

/** Dense inputs, bias and mask. Returns the resolved options and the bias/mask head counts. */
export function validateAttention(
  kernel: string,
  input: AttentionInput,
  options: AttentionMaskOptions<unknown>,
): ResolvedAttentionOptions & { biasHeads: number; maskHeads: number } {
  const { numHeads, numKvHeads, queryLength, kvLength, headDim } = input;
  checkHeads(kernel, numHeads, numKvHeads, headDim);
  checkCount(kernel, 'queryLength', queryLength);
  checkCount(kernel, 'kvLength', kvLength);
  checkArray(kernel, 'query', input.query, 'Float32Array', numHeads * queryLength * headDim);
  checkArray(kernel, 'key', input.key, 'Float32Array', numKvHeads * kvLength * headDim);
  checkArray(kernel, 'value', input.value, 'Float32Array', numKvHeads * kvLength * headDim);
  const resolved = resolveAttentionOptions(kernel, headDim, options);
  if (resolved.causal) checkCausalLength(kernel, 'kvLength', kvLength, queryLength);
  const plane = queryLength * kvLength;
  const headsOf = (argument: string, array: ArrayLike<number> | undefined): number => {
    if (array === undefined) return 0;
    const heads = array.length === plane ? 1 : numHeads;
    checkArray(
      kernel,
      argument,
      array,
      argument.endsWith('mask') ? 'Uint8Array' : 'Float32Array',
      heads * plane,
    );
    return heads;
  };
  return {
    ...resolved,
    biasHeads: headsOf('options.bias', options.bias),
    maskHeads: headsOf('options.mask', options.mask),
  };
}

/** Ragged inputs. Returns the resolved options and the row offset of each KV head. */
export function validateRaggedAttention(
  kernel: string,
  input: RaggedAttentionInput,
  options: RaggedAttentionOptions<unknown>,
): ResolvedAttentionOptions & { kvOffsets: Int32Array } {
  const { numHeads, numKvHeads, queryLength, headDim, kvLengths } = input;
  checkHeads(kernel, numHeads, numKvHeads, headDim);
  checkCount(kernel, 'queryLength', queryLength);
  if (kvLengths === null || typeof kvLengths !== 'object' || kvLengths.length !== numKvHeads) {
    fail('KERNEL_SHAPE_MISMATCH', kernel, 'kvLengths', `needs one length per KV head (${numKvHeads})`);
  }
  const resolved = resolveAttentionOptions(kernel, headDim, options);
  const kvOffsets = new Int32Array(numKvHeads + 1);
  for (let g = 0; g < numKvHeads; g++) {
    checkCount(kernel, `kvLengths[${g}]`, kvLengths[g], true);
    if (resolved.causal) checkCausalLength(kernel, `kvLengths[${g}]`, kvLengths[g], queryLength);
    kvOffsets[g + 1] = kvOffsets[g] + kvLengths[g];
  }
  const rows = kvOffsets[numKvHeads];
  checkArray(kernel, 'query', input.query, 'Float32Array', numHeads * queryLength * headDim);
  checkArray(kernel, 'key', input.key, 'Float32Array', rows * headDim);
  checkArray(kernel, 'value', input.value, 'Float32Array', rows * headDim);
  if (options.keyBias !== undefined)
    checkArray(kernel, 'options.keyBias', options.keyBias, 'Float32Array', rows);
  return { ...resolved, kvOffsets };
}

/** A block-sparse layout against the attention shape: sizes, offsets, indices in range, no repeats. */
export function validateBlockSparseLayout(
  kernel: string,
  layout: BlockSparseLayout,
  shape: { numHeads: number; queryLength: number; kvLength: number },
): void {
  const argument = (name: string) => `layout.${name}`;
  checkCount(kernel, argument('blockSizeQuery'), layout.blockSizeQuery);
  checkCount(kernel, argument('blockSizeKey'), layout.blockSizeKey);
  const numQueryBlocks = Math.ceil(shape.queryLength / layout.blockSizeQuery);
  const numKeyBlocks = Math.ceil(shape.kvLength / layout.blockSizeKey);
  if (layout.numQueryBlocks !== numQueryBlocks) {
    fail(
      'KERNEL_SHAPE_MISMATCH',
      kernel,
      argument('numQueryBlocks'),
      `is ${layout.numQueryBlocks}, the shape gives ${numQueryBlocks}`,
    );
  }
  if (layout.numKeyBlocks !== numKeyBlocks) {
    fail(
      'KERNEL_SHAPE_MISMATCH',
      kernel,
      argument('numKeyBlocks'),
      `is ${layout.numKeyBlocks}, the shape gives ${numKeyBlocks}`,
    );
  }
  if (layout.layoutHeads !== 1 && layout.layoutHeads !== shape.numHeads) {
    fail(
      'KERNEL_SHAPE_MISMATCH',
      kernel,
      argument('layoutHeads'),
      `must be 1 or numHeads ${shape.numHeads}, got ${layout.layoutHeads}`,
    );
  }
  const rowCount = layout.layoutHeads * numQueryBlocks;
  checkArray(kernel, argument('rowOffsets'), layout.rowOffsets, 'Int32Array', rowCount + 1);
  const offsets = layout.rowOffsets;
  if (!(layout.keyBlocks instanceof Int32Array))
    fail('KERNEL_DTYPE_MISMATCH', kernel, argument('keyBlocks'), 'must be an Int32Array');
  if (offsets[0] !== 0 || offsets[rowCount] !== layout.keyBlocks.length) {
    fail(
      'KERNEL_INVALID_ARGUMENT',
      kernel,
      argument('rowOffsets'),
      `must start at 0 and end at keyBlocks.length ${layout.keyBlocks.length}`,
    );
  }
  const seen = new Int32Array(numKeyBlocks).fill(-1);
  for (let row = 0; row < rowCount; row++) {
    if (offsets[row + 1] < offsets[row]) {
      fail('KERNEL_INVALID_ARGUMENT', kernel, argument('rowOffsets'), `decreases at row ${row}`, { row });
    }
  }
  for (let row = 0; row < rowCount; row++) {
    for (let e = offsets[row]; e < offsets[row + 1]; e++) {
      const block = layout.keyBlocks[e];
      if (block < 0 || block >= numKeyBlocks) {
        fail(
          'KERNEL_INVALID_ARGUMENT',
          kernel,
          argument('keyBlocks'),
          `entry ${e} = ${block} is outside [0, ${numKeyBlocks})`,
          {
            row,
            entry: e,
            block,
          },
        );
      }
      if (seen[block] === row) {
        fail(
          'KERNEL_INVALID_ARGUMENT',
          kernel,
          argument('keyBlocks'),
          `row ${row} lists key block ${block} twice`,
          {
            row,
            block,
          },
        );
      }
      seen[block] = row;
    }
  }
}
