import type { Session } from '../backend/types';
import { XError } from '../errors';
import type { Dtype } from '../tensor/dtype';

/** One cache input and the output that feeds it on the next step. */
export interface DecoderCacheIo {
  /** `past_key_values.{i}.key|value`. */
  input: string;
  /** `present.{i}.key|value`. */
  output: string;
  dtype: Dtype;
  /** Dims of the zero-length past fed on step 1: batch 1, the past axis 0, fixed dims as the model declares. */
  emptyDims: readonly number[];
  /** Index of the sequence (past) axis. */
  sequenceAxis: number;
}

/** The Optimum decoder I/O (`input_ids`, `attention_mask`, `position_ids`, `past_key_values.*` → `logits`, `present.*`). */
export interface DecoderIo {
  positionIds: boolean;
  /** `num_logits_to_keep` / `logits_to_keep` input, when the export has one. */
  logitsToKeep: string | undefined;
  /** `use_cache_branch` input of merged decoders, when present. */
  useCacheBranch: boolean;
  cache: readonly DecoderCacheIo[];
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/**
 * Reads a session's inputs and outputs as an Optimum decoder-only export (ecosystem brief §3.4). Zero-length
 * past dims come from the session's input metadata as transformers.js `addPastKeyValues` builds them: the batch
 * axis is 1, any other symbolic axis (the past length) is 0.
 *
 * Errors: `X_EVAL` naming the missing input/output, or a cache input whose shape the runtime does not report.
 */
export function describeDecoderIo(session: Session, caller: string): DecoderIo {
  for (const name of ['input_ids', 'attention_mask']) {
    if (!session.inputNames.includes(name)) throw missing(caller, 'input', name, session.inputNames);
  }
  if (!session.outputNames.includes('logits')) throw missing(caller, 'output', 'logits', session.outputNames);
  const cache: DecoderCacheIo[] = [];
  for (const input of session.inputNames) {
    if (!PAST.test(input)) continue;
    const output = input.replace(/^past_key_values\./, 'present.');
    if (!session.outputNames.includes(output)) throw missing(caller, 'output', output, session.outputNames);
    const metadata = session.inputMetadata.find((entry) => entry.name === input);
    const shape = metadata?.shape ?? [];
    if (shape.length !== 4) {
      throw new XError(
        'X_EVAL',
        `${caller}: the runtime reports no 4-d shape for input ${input}; cannot build its empty past`,
        { details: { input, shape } },
      );
    }
    const symbolic = shape.map((dim) => typeof dim !== 'number' || dim < 0);
    const sequenceAxis = symbolic.lastIndexOf(true);
    if (sequenceAxis <= 0) {
      throw new XError(
        'X_EVAL',
        `${caller}: input ${input} has shape [${shape.join(', ')}], with no symbolic past-length axis`,
        { details: { input, shape } },
      );
    }
    cache.push({
      input,
      output,
      dtype: dtypeOf(metadata?.type, input, caller),
      emptyDims: shape.map((dim, axis) => (axis === 0 ? 1 : symbolic[axis] ? 0 : (dim as number))),
      sequenceAxis,
    });
  }
  const logitsToKeep = ['num_logits_to_keep', 'logits_to_keep'].find((name) =>
    session.inputNames.includes(name),
  );
  return {
    positionIds: session.inputNames.includes('position_ids'),
    logitsToKeep,
    useCacheBranch: session.inputNames.includes('use_cache_branch'),
    cache,
  };
}

function dtypeOf(type: string | undefined, input: string, caller: string): Dtype {
  if (type === undefined || type === 'float32' || type === 'tensor(float)') return 'float32';
  if (type === 'float16' || type === 'tensor(float16)') return 'float16';
  throw new XError(
    'X_EVAL',
    `${caller}: cache input ${input} has type ${type}; expected float32 or float16`,
    {
      details: { input, type },
    },
  );
}

function missing(caller: string, kind: string, name: string, names: readonly string[]): XError {
  return new XError(
    'X_EVAL',
    `${caller}: the model has no ${kind} ${name}; expected an Optimum decoder export (${kind}s: ${names.join(', ')})`,
    { details: { [kind]: name } },
  );
}
