import { XError } from '../errors';
import { fromOrt } from '../tensor/from-ort';
import type { Tensor } from '../tensor/tensor';
import { toOrt } from '../tensor/to-ort';
import type { BackendName, OrtInferenceSession, OrtModule, Session, ValueMetadata } from './types';

/** Wraps an ORT session so that it takes and returns @x tensors, converting (zero-copy) at the boundary. */
export function wrapSession(name: BackendName, ort: OrtModule, session: OrtInferenceSession): Session {
  const inputNames = Object.freeze([...session.inputNames]);
  const outputNames = Object.freeze([...session.outputNames]);
  let released = false;
  // onnxruntime-web runs one call at a time per session; chain calls as transformers.js does.
  let queue: Promise<unknown> = Promise.resolve();

  const run = async (
    feeds: Record<string, Tensor>,
    fetches?: readonly string[],
  ): Promise<Record<string, Tensor>> => {
    if (released)
      throw new XError('X_SESSION', 'session.run: the session was released', { details: { backend: name } });
    const ortFeeds: Record<string, ReturnType<typeof toOrt>> = {};
    for (const key of Object.keys(feeds)) {
      if (!inputNames.includes(key)) {
        throw new XError(
          'X_INVALID_ARGUMENT',
          `feeds.${key} is not an input of the model (inputs: ${inputNames.join(', ')})`,
          {
            details: { argument: `feeds.${key}`, inputNames },
          },
        );
      }
      ortFeeds[key] = toOrt(ort, feeds[key], `feeds.${key}`);
    }
    const missing = inputNames.filter((input) => !(input in feeds));
    if (missing.length > 0) {
      throw new XError('X_INVALID_ARGUMENT', `feeds is missing model input(s): ${missing.join(', ')}`, {
        details: { argument: 'feeds', missing },
      });
    }
    const names = fetches ? [...fetches] : [...outputNames];
    const unknown = names.filter((output) => !outputNames.includes(output));
    if (unknown.length > 0) {
      throw new XError(
        'X_INVALID_ARGUMENT',
        `fetches names ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a graph output' : 'are not graph outputs'}; add intermediate values with addGraphOutputs first`,
        { details: { argument: 'fetches', unknown } },
      );
    }
    const call = queue.then(() => session.run(ortFeeds, names));
    queue = call.catch(() => undefined);
    let results: Record<string, ReturnType<typeof toOrt>>;
    try {
      results = await call;
    } catch (error) {
      throw new XError(
        'X_SESSION',
        `${name} session.run failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
          details: { backend: name },
        },
      );
    }
    const out: Record<string, Tensor> = {};
    for (const key of names) out[key] = fromOrt(results[key], `outputs.${key}`);
    return out;
  };

  return {
    backend: name,
    inputNames,
    outputNames,
    inputMetadata: metadataOf(session.inputMetadata, inputNames),
    outputMetadata: metadataOf(session.outputMetadata, outputNames),
    run,
    release: async () => {
      if (released) return;
      released = true;
      await queue;
      await session.release();
    },
  };
}

function metadataOf(
  metadata: OrtInferenceSession['inputMetadata'],
  names: readonly string[],
): readonly ValueMetadata[] {
  if (!metadata) return Object.freeze(names.map((name) => ({ name, isTensor: true })));
  return Object.freeze(
    metadata.map((entry) => {
      const value: { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] } =
        {
          name: entry.name,
          isTensor: entry.isTensor,
        };
      if (entry.type !== undefined) value.type = entry.type;
      if (entry.shape !== undefined) value.shape = Object.freeze([...entry.shape]);
      return value;
    }),
  );
}
