/** ORT baselines in the same process: onnxruntime-web (wasm, Node build) and onnxruntime-node. */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';

export type OrtFlavor = 'web' | 'node';

export interface OrtRunner {
  run(a: Float32Array | Int8Array, dims: number[]): Promise<ArrayLike<number>>;
  release(): Promise<void>;
}

export async function createOrtRunner(
  flavor: OrtFlavor,
  model: Uint8Array,
  threads: number,
  options: { spinning?: boolean } = {},
): Promise<OrtRunner> {
  if (flavor === 'web') {
    ortWeb.env.wasm.numThreads = threads;
    const session = await ortWeb.InferenceSession.create(model, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    return {
      async run(a, dims) {
        const input =
          a instanceof Int8Array ? new ortWeb.Tensor('int8', a, dims) : new ortWeb.Tensor('float32', a, dims);
        const result = await session.run({ A: input });
        return result.Y.data as ArrayLike<number>;
      },
      release: () => session.release(),
    };
  }
  const session = await ortNode.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // session.intra_op.allow_spinning = 0: idle pool threads block instead of spinning (default: spin), so
    // they do not take the core from the next sample of an interleaved benchmark.
    ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  });
  return {
    async run(a, dims) {
      const input =
        a instanceof Int8Array ? new ortNode.Tensor('int8', a, dims) : new ortNode.Tensor('float32', a, dims);
      const result = await session.run({ A: input });
      return result.Y.data as ArrayLike<number>;
    },
    release: () => session.release(),
  };
}
